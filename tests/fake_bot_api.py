"""A local fake Telegram Bot API server over real HTTP, for end-to-end tests.

It runs in its own thread (so a bot in the test's event loop or in another process can talk
to it) and speaks the methods the guide uses: getMe, getUpdates (long polling), sendMessage,
editMessageText, answerCallbackQuery, setMyCommands, setWebhook, deleteWebhook.

Faults can be injected per method: "timeout" (answers too late), "500", "502", "429" (with
retry_after) and "drop" (closes the connection without an answer). A failed sendMessage is
not recorded as delivered, just as with the real API.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import Counter

import tornado.httpserver
import tornado.netutil
import tornado.web

BOT_USER = {"id": 777, "is_bot": True, "first_name": "Trivselsguiden", "username": "trivselsguiden_bot"}
FAULTS = ("timeout", "500", "502", "429", "drop")


class FakeBotApi:
    def __init__(self, timeout_delay: float = 2.0, latency: float = 0.0):
        self.timeout_delay = timeout_delay
        self.latency = latency  # added to every answer, as the real API's round trip would be
        self.calls: list[tuple[str, dict]] = []  # every answered call, in order
        self.faults_served: Counter[str] = Counter()
        self._faults: dict[str, list[str]] = {}
        self._updates: list[dict] = []
        self._message_ids = itertools.count(5000)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Condition | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ test side (any thread)
    def start(self) -> str:
        self._thread = threading.Thread(target=self._serve, name="fake-bot-api", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self.base_url

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def push(self, update: dict) -> None:
        """Queue an update for the next getUpdates."""
        with self._lock:
            self._updates.append(update)
        self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._notify()))

    def inject(self, method: str, *faults: str) -> None:
        """The next calls of `method` fail with these faults, one each, in order."""
        assert all(fault in FAULTS for fault in faults), faults
        with self._lock:
            self._faults.setdefault(method, []).extend(faults)

    def sent(self) -> list[dict]:
        with self._lock:
            return [parameters for name, parameters in self.calls if name == "sendMessage"]

    def called(self, method: str) -> list[dict]:
        with self._lock:
            return [parameters for name, parameters in self.calls if name == method]

    async def wait_for_replies(self, before: int, quiet: float = 0.2, timeout: float = 20.0) -> list[dict]:
        """Wait until a new sendMessage arrived and nothing more came for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        count, changed_at = len(self.sent()), time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            now = len(self.sent())
            if now != count:
                count, changed_at = now, time.monotonic()
            elif count > before and time.monotonic() - changed_at >= quiet:
                break
        return self.sent()[before:]

    # ------------------------------------------------------------------ server side (its own thread)
    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._new_update = asyncio.Condition()
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", _MethodHandler, {"api": self})])
        server = tornado.httpserver.HTTPServer(app)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        self.base_url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        self._ready.set()
        self._loop.run_forever()
        server.stop()

    async def _notify(self) -> None:
        async with self._new_update:
            self._new_update.notify_all()

    def _take_fault(self, method: str) -> str | None:
        with self._lock:
            pending = self._faults.get(method)
            return pending.pop(0) if pending else None

    async def updates_from(self, offset: int, wait_seconds: float) -> list[dict]:
        deadline = time.monotonic() + wait_seconds
        while True:
            with self._lock:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
                ready = list(self._updates)
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return ready
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), remaining)

    async def answer(self, method: str, parameters: dict) -> object:
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            offset = int(parameters.get("offset") or 0)
            return await self.updates_from(offset, float(parameters.get("timeout") or 0))
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(parameters.get("chat_id") or 0)
            message = {"message_id": next(self._message_ids), "date": int(time.time()), "text": parameters.get("text", "")}
            message["chat"] = {"id": chat_id, "type": "private"}
            if parameters.get("reply_markup"):
                message["reply_markup"] = parameters["reply_markup"]
            return message
        return True  # answerCallbackQuery, setMyCommands, setWebhook, deleteWebhook, ...


class _MethodHandler(tornado.web.RequestHandler):
    def initialize(self, api: FakeBotApi) -> None:
        self.api = api

    def _parameters(self) -> dict:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(self.request.body or b"{}")
        parameters = {}
        for name, values in self.request.body_arguments.items():
            value = values[-1].decode()
            try:
                parameters[name] = json.loads(value) if value[:1] in "[{" else value
            except json.JSONDecodeError:
                parameters[name] = value
        return parameters

    async def post(self, token: str, method: str) -> None:
        fault = self.api._take_fault(method)
        if fault is not None:
            self.api.faults_served[f"{method}:{fault}"] += 1
            await self._fail(fault)
            return
        parameters = self._parameters()
        result = await self.api.answer(method, parameters)
        with self.api._lock:
            self.api.calls.append((method, parameters))
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"ok": True, "result": result}))

    get = post

    async def _fail(self, fault: str) -> None:
        if fault == "drop":
            self.request.connection.stream.close()
            return
        if fault == "timeout":
            await asyncio.sleep(self.api.timeout_delay)  # the client has given up by now
            self.set_status(504)
            self.write({"ok": False, "error_code": 504, "description": "Gateway Timeout"})
            return
        status = int(fault)
        body = {"ok": False, "error_code": status, "description": "Too Many Requests" if status == 429 else "Server Error"}
        if status == 429:
            body["parameters"] = {"retry_after": 1}
        self.set_status(status)
        self.write(body)

    def check_xsrf_cookie(self) -> None:
        return None


if __name__ == "__main__":  # in its own process, for benchmarks: [latency seconds]; prints its URL, runs until stdin closes
    import sys

    server = FakeBotApi(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
    print(server.start(), flush=True)
    sys.stdin.read()
    server.stop()
