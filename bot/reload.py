"""Reloading the catalogue without a restart: on SIGHUP or when a knowledge file changes.

A new catalogue is validated in full before it replaces the old one; a broken one is refused
with its problems (file and line) logged, and the last good catalogue keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from bot.catalogue import CatalogueError, load_catalogue
from bot.flow import Conversation
from bot.logs import fields

log = logging.getLogger("trivselsguiden.catalogue")


class CatalogueReloader:
    def __init__(self, conversation: Conversation, path: str | Path | None = None):
        self.conversation = conversation
        self.path = path or None
        self._seen = self._stamps()

    def _stamps(self) -> dict[Path, tuple[int, int]]:
        stamps = {}
        for file in self.conversation.catalogue.files:
            try:
                status = file.stat()
                stamps[file] = (status.st_mtime_ns, status.st_size)
            except OSError:
                stamps[file] = (0, 0)
        return stamps

    def changed(self) -> bool:
        return self._stamps() != self._seen

    def reload(self) -> bool:
        """Load and check the files again; True when the new catalogue now serves."""
        self._seen = self._stamps()  # before loading: a broken file is reported once, not every poll
        try:
            catalogue = load_catalogue(self.path)
        except CatalogueError as error:
            log.error("catalogue refused; the last good one keeps serving", extra=fields(problems=error.problems))
            return False
        except OSError as error:
            log.error("catalogue unreadable; the last good one keeps serving", extra=fields(error=type(error).__name__))
            return False
        self.conversation.use_catalogue(catalogue)
        log.info("catalogue loaded", extra=fields(offers=len(catalogue.offers)))
        return True

    async def watch(self, interval_seconds: float) -> None:
        """Poll the files' change stamps; cheap, and works on every file system."""
        while True:
            await asyncio.sleep(interval_seconds)
            if self.changed():
                self.reload()

    def reload_on_hangup(self) -> None:
        """`kill -HUP <pid>` reloads (where the platform has SIGHUP)."""
        if hasattr(signal, "SIGHUP"):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.reload)
