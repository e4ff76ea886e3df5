"""The real `bot.app.serve_web` on a free local port, inside the test's event loop, and a
story player that talks to it over HTTP as the page's script does."""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from tornado.testing import bind_unused_port

from bot.app import serve_web
from bot.config import Settings
from bot.console import plain
from bot.flow import Conversation
from bot.render import Renderer
from tests.story import Seen, check, event_of


def web_settings(tmp_path, **overrides) -> Settings:
    values = {
        "TRIVSEL_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "TRIVSEL_HASH_KEY": "web-test-key",
        "TRIVSEL_CATALOGUE_WATCH_SECONDS": 0,
        "TELEGRAM_BOT_TOKEN": "",
        "WEB_HOST": "127.0.0.1",
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class RunningWeb:
    base_url: str
    conversation: Conversation
    settings: Settings

    def client(self, language: str = "da", **options) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers={"Accept-Language": language}, timeout=10, **options)


def free_port() -> int:
    sock, port = bind_unused_port()
    sock.close()
    return port


@asynccontextmanager
async def running_web(guide, settings: Settings):
    conversation = Conversation(guide, Renderer)
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve_web(conversation, settings, port, stop))
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(200):
            if task.done():
                task.result()  # start-up failed: raise its error
            try:
                await probe.get(base_url + "/static/app.css")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.02)
    try:
        yield RunningWeb(base_url, conversation, settings)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


def payload_for(step: dict) -> dict | None:
    """What the page's script posts for one story step (the same events as tests/story.py)."""
    event = event_of(step)
    return None if event is None else {"kind": event.kind, "value": event.value, "argument": event.argument}


def seen_in_web(data: dict) -> Seen:
    text = re.sub(r"</p>|<br>", "\n", data["html"])
    buttons = [option["data"] for row in data["options"] for option in row]
    return Seen(plain(text), buttons, data["crisis"], data["offers"])


async def play_web_story(client: httpx.AsyncClient, story: dict) -> list[dict]:
    """Play a story through POST /api/chat; returns every JSON answer."""
    seen: Seen | None = None
    answers = []
    for number, step in enumerate(story["steps"], start=1):
        payload = payload_for(step)
        if payload is not None:
            response = await client.post("/api/chat", json=payload)
            assert response.status_code == 200, f"{story['name']} step {number}: HTTP {response.status_code}"
            answers.append(response.json())
            seen = seen_in_web(answers[-1])
        check(step, seen, f"{story['name']} step {number} (web)")
    return answers
