"""Webhook mode: a small tornado server that takes Telegram's POSTs and a health endpoint.

Requests without the right `X-Telegram-Bot-Api-Secret-Token` get 403. Each update is handled
before the 200 goes back, so when a process dies mid-update - or the state store does not answer
(503) - Telegram delivers it again (the adapter skips updates it already answered).
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.handlers.telegram import REDELIVER
from bot.logs import fields

log = logging.getLogger("trivselsguiden.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000


def webhook_path(webhook_url: str) -> str:
    return urlsplit(webhook_url).path or "/"


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: Application, secret: str) -> None:
        self.bot_application = bot_application  # tornado's own `application` is the web app
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request refused: wrong or missing secret token")
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update object")
            update = Update.de_json(data, self.bot_application.bot)
        except Exception as error:  # whatever a stranger's body breaks, the answer is 400
            log.warning("webhook request refused: not an update", extra=fields(error=type(error).__name__))
            self.set_status(400)
            return
        redelivery: list[bool] = []
        token = REDELIVER.set(redelivery)
        try:
            await self.bot_application.process_update(update)
        finally:
            REDELIVER.reset(token)
        if redelivery:  # the state store could not answer: Telegram will send this update again
            self.set_status(503)
            return
        self.set_status(200)

    def check_xsrf_cookie(self) -> None:  # Telegram posts JSON, not forms
        return None


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, health) -> None:
        self.health = health

    async def get(self) -> None:
        """200 when the state store answers, 503 when it does not (so a balancer stops sending)."""
        report = await self.health()
        self.set_status(200 if report["ok"] else 503)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(report))


def start_webhook_server(
    application: Application, webhook_url: str, secret: str, listen: str, port: int, health
) -> tornado.httpserver.HTTPServer:
    """Listen for Telegram's POSTs at the path of `webhook_url` and for GET /healthz."""
    app = tornado.web.Application(
        [
            (HEALTH_PATH, _HealthHandler, {"health": health}),
            (webhook_path(webhook_url), _UpdateHandler, {"bot_application": application, "secret": secret}),
        ]
    )
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES, xheaders=True)
    server.listen(port, address=listen)
    log.info("webhook listening", extra=fields(port=port, path=webhook_path(webhook_url)))
    return server
