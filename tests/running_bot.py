"""The real `bot.app.serve` against the local fake Bot API server, inside the test's event loop."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from bot.app import serve
from bot.config import Settings
from bot.flow import Conversation
from bot.render import Renderer
from tests.offline_telegram import FakeUser, seen_in, update_for
from tests.story import Seen, check

TOKEN = "123:TEST"


def settings_for(base_url: str, tmp_path, **overrides) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "TELEGRAM_TIMEOUT_SECONDS": 1.0,
        "TRIVSEL_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "TRIVSEL_CATALOGUE_WATCH_SECONDS": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running(guide, settings: Settings):
    """`serve` as production runs it, stopped at the end of the block."""
    conversation = Conversation(guide, Renderer)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(conversation, settings, stop))
    try:
        yield conversation
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def play_story(api, story: dict, catalogue, user: FakeUser, deliver) -> None:
    """Play a story's steps through `deliver(update)` and check what the fake server received."""
    seen: Seen | None = None
    keyboard_message = None
    for number, step in enumerate(story["steps"], start=1):
        update = update_for(user, step, keyboard_message)
        if update is not None:
            before = len(api.sent())
            await deliver(update)
            sent = await api.wait_for_replies(before)
            assert sent, f"{story['name']} step {number}: no reply over HTTP"
            seen = seen_in(sent, catalogue)
            keyboard_message = next((message for message in reversed(sent) if message.get("reply_markup")), None)
        check(step, seen, f"{story['name']} step {number} (HTTP)")
