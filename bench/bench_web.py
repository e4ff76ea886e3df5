"""The web chat over real HTTP, beside a bare tornado JSON echo in the same run, and the page weight.

    .venv/bin/python -m bench.bench_web

Both servers run in one event loop and are asked the same requests (every step of every story
in tests/stories, each story in a fresh session), alternating in rounds; the median round is
compared. The echo answers each JSON body with itself, so the difference is the guide's own
cost behind HTTP: cookie, rate limit, state load/save in SQLite, the flow, the HTML of the reply,
and the anonymous count. "First answer" is GET / (the page with the guide's first message).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import tornado.httpserver
import tornado.web
from tornado.testing import bind_unused_port

from bot.catalogue import load_catalogue
from bot.flow import Conversation
from bot.guide import Guide
from bot.handlers.web import RateLimit, WebChat, build_web_app
from bot.needs import NeedCounter
from bot.render import Renderer
from bot.store import ChatKeys, SQLiteStore
from tests.running_web import payload_for
from tests.story import STORIES, load

ROUNDS = 7


class Echo(tornado.web.RequestHandler):
    def post(self):
        self.set_header("Content-Type", "application/json")
        self.finish(self.request.body)

    def get(self):
        self.finish("<!doctype html><title>echo</title><p>Hej</p>")


def listen(app) -> tuple[str, object]:
    sock, port = bind_unused_port()
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    return f"http://127.0.0.1:{port}", server


async def one_round(base_url: str, stories: list[dict]) -> tuple[float, int]:
    requests = 0
    started = time.perf_counter()
    for story in stories:
        async with httpx.AsyncClient(base_url=base_url) as client:
            for step in story["steps"]:
                payload = payload_for(step)
                if payload is not None:
                    response = await client.post(
                        "/api/chat", content=json.dumps(payload), headers={"Content-Type": "application/json"}
                    )
                    assert response.status_code == 200, response.status_code
                    requests += 1
    return time.perf_counter() - started, requests


async def first_answer(base_url: str, times: int = 50) -> float:
    async with httpx.AsyncClient(base_url=base_url) as client:
        started = time.perf_counter()
        for _ in range(times):
            assert (await client.get("/")).status_code == 200
    return (time.perf_counter() - started) / times


async def main() -> None:
    import tornado.httpserver

    stories = [load(path) for path in STORIES]
    with tempfile.TemporaryDirectory() as directory:
        store = SQLiteStore(Path(directory) / "state.sqlite3")
        conversation = Conversation(Guide(load_catalogue()), Renderer)
        unlimited = RateLimit(events=10**6)
        chat = WebChat(conversation, store, ChatKeys("bench"), NeedCounter(store, conversation), unlimited, unlimited)
        guide_url, guide_server = listen(build_web_app(chat))
        echo_url, echo_server = listen(tornado.web.Application([(r"/api/chat", Echo), (r"/", Echo)]))
        guide_rounds, echo_rounds = [], []
        for _ in range(ROUNDS):
            seconds, requests = await one_round(guide_url, stories)
            guide_rounds.append(seconds / requests)
            seconds, requests = await one_round(echo_url, stories)
            echo_rounds.append(seconds / requests)
        guide_page, echo_page = await first_answer(guide_url), await first_answer(echo_url)
        async with httpx.AsyncClient(base_url=guide_url) as client:
            bodies = {path: (await client.get(path)).content for path in ("/", "/static/app.css", "/static/app.js")}
            sizes = {path: len(body) for path, body in bodies.items()}
            zipped = sum(len(gzip.compress(body)) for body in bodies.values())
            staff = (await client.get("/tilbud/")).content
        guide_server.stop()
        echo_server.stop()
        await store.close()
    guide_ms, echo_ms = statistics.median(guide_rounds) * 1000, statistics.median(echo_rounds) * 1000
    print(f"per chat request over HTTP ({requests} requests x {ROUNDS} rounds, median round):")
    print(f"  web chat   {guide_ms:6.2f} ms")
    print(f"  echo       {echo_ms:6.2f} ms   (the guide adds {guide_ms - echo_ms:.2f} ms, x{guide_ms / echo_ms:.1f})")
    print(f"first answer, GET / with the guide's first message: {guide_page * 1000:.2f} ms (echo page {echo_page * 1000:.2f} ms)")
    total = sum(sizes.values())
    print(
        f"chat page weight: {total / 1000:.1f} kB ({', '.join(f'{p} {s / 1000:.1f}' for p, s in sizes.items())}); "
        f"{zipped / 1000:.1f} kB gzipped; limit 100 kB"
    )
    print(f"staff overview /tilbud/: {len(staff) / 1000:.1f} kB, {len(gzip.compress(staff)) / 1000:.1f} kB gzipped")


if __name__ == "__main__":
    asyncio.run(main())
