"""Structured (JSON lines) logging that never carries what people wrote.

Log calls pass fields through `extra={"fields": {...}}`; only those fields and the message
name are written. Nobody's text, name or username is ever passed in, and chat ids only as the
keyed hash from `bot.store.ChatKeys`.
"""

from __future__ import annotations

import json
import logging
import sys
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the type only: a traceback can quote a message
        return json.dumps(entry, ensure_ascii=False)


LIBRARIES = ("telegram", "httpcore", "httpx", "tornado", "tornado.access", "redis", "asyncio", "hpack")


def configure_logging(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries log request bodies (message texts, names) at DEBUG, and httpx logs request URLs,
    # which carry the bot token: they never go below INFO / WARNING, whatever our own level.
    for library in LIBRARIES:
        floor = logging.WARNING if library in ("httpx", "tornado.access") else logging.INFO
        logging.getLogger(library).setLevel(max(root.level, floor))


def fields(**values) -> dict:
    """`log.info("update", extra=fields(chat=..., kind=...))`"""
    return {"fields": values}
