"""Cost per Telegram update through the PTB Application, beside a bare echo bot in the same run,
and the number of taps from /start to the first result card over the stories.

    .venv/bin/python -m bench.bench_updates

Both bots run the same updates (every step of every story in tests/stories) through
`Application.process_update` with the same offline request object, so the figure is the
guide's own cost: state load/save, safety, understanding, routing, rendering and building the
sendMessage calls. The echo bot answers each text with the same text and each button press
with answerCallbackQuery + one message. Cost is measured in rounds, alternating the two bots,
and the median of the rounds is compared; the real network would add the same to both.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

from bot.catalogue import load_catalogue
from bot.flow import ChatState, Conversation
from bot.guide import Guide
from bot.handlers.telegram import build_application
from bot.render import Renderer
from bot.store import MemoryStore, SQLiteStore
from tests.offline_telegram import FakeUser, OfflineBotApi, update_for
from tests.story import STORIES, event_of, load

ROUNDS = 9
LIMIT_RATIO = 1.5


def story_updates(first_chat: int = 10_000) -> list[dict]:
    """Every step of every story, as the updates of one new user per story."""
    updates = []
    for number, path in enumerate(STORIES):
        user = FakeUser(chat_id=first_chat + number, language_code=load(path).get("language", "da"))
        updates += [update for step in load(path)["steps"] if (update := update_for(user, step)) is not None]
    return updates


def echo_application(api: OfflineBotApi | None, base_url: str | None = None):
    builder = ApplicationBuilder().token("123:ECHO")
    builder = builder.base_url(f"{base_url}/bot") if base_url else builder.request(api).get_updates_request(api)
    application = builder.build()

    async def echo_text(update, context):
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "?")

    async def echo_button(update, context):
        await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, update.callback_query.data or "?")

    application.add_handler(MessageHandler(filters.ALL, echo_text))
    application.add_handler(CallbackQueryHandler(echo_button))
    return application


async def time_per_update(application, updates: list[dict]) -> float:
    parsed = [Update.de_json(update, application.bot) for update in updates]
    gc.collect()
    started = time.perf_counter()
    for update in parsed:
        await application.process_update(update)
    return (time.perf_counter() - started) / len(parsed)


async def compare(guide: Guide, label: str, make_store, base_url: str | None = None) -> None:
    """Offline (base_url None): CPU only. With base_url: every Bot API call over loopback HTTP."""
    guide_api, echo_api = OfflineBotApi(), OfflineBotApi()
    if base_url:
        ours = build_application(
            Conversation(guide, Renderer), "123:TEST", store=make_store(), base_url=base_url, rate_limit=False
        )
        echo = echo_application(None, base_url)
    else:
        ours = build_application(
            Conversation(guide, Renderer), "123:TEST", store=make_store(), request=guide_api, rate_limit=False
        )
        echo = echo_application(echo_api)
    await ours.initialize()
    await echo.initialize()
    ours_times, echo_times = [], []
    for round_number in range(ROUNDS + 1):  # round 0 warms caches (templates, stems) and is not counted
        updates = story_updates(first_chat=10_000 + 100 * round_number)  # new chats: nothing is a redelivery
        ours_times.append(await time_per_update(ours, updates))
        echo_times.append(await time_per_update(echo, updates))
    ours_median, echo_median = statistics.median(ours_times[1:]), statistics.median(echo_times[1:])
    ratio = ours_median / echo_median
    print(
        f"  {label:<20} guide {ours_median * 1e6:7.0f} µs/update"
        f"   echo {echo_median * 1e6:6.0f} µs/update   ratio {ratio:.2f}x"
        f"   {'within' if ratio <= LIMIT_RATIO else 'OVER'} {LIMIT_RATIO}x"
    )
    await ours.shutdown()
    await echo.shutdown()


def taps_to_first_result(conversation: Conversation) -> list[tuple[str, int, int]]:
    """(story, button taps, messages written) from /start to the first reply with offers."""
    counts = []
    for path in STORIES:
        story = load(path)
        state = ChatState(language=story.get("language", "da"))
        taps = written = 0
        for step in story["steps"]:
            event = event_of(step)
            if event is None:
                continue
            if event.kind == "start":
                taps = written = 0
            taps += event.kind == "button"
            written += event.kind == "text"
            state, reply = conversation.handle(state, event)
            if reply.offer_ids and not reply.crisis:
                counts.append((path.stem, taps, written))
                break
    return counts


def taps_over_every_button_path(conversation: Conversation) -> int:
    """The most taps any role x municipality x topic button path needs to reach a result."""
    worst = 0
    for role in ("youth", "parent", "professional"):
        for municipality in ("aarhus", "hedensted", "norddjurs", "anden-dk", "sverige"):
            for topic in conversation.topic_buttons:
                state, _ = conversation.handle(ChatState(), event_of({"start": ""}))
                taps = 0
                for data in (f"a:role:{role}", f"a:municipality:{municipality}", "a:age:10", f"a:topic:{topic}"):
                    taps += 1
                    state, reply = conversation.handle(state, event_of({"press": data}))
                    if reply.offer_ids:
                        break
                assert reply.offer_ids, (role, municipality, topic)
                worst = max(worst, taps)
    return worst


async def main() -> None:
    guide = Guide(load_catalogue())
    print(f"Cost per update through the PTB Application ({len(story_updates())} story updates, median of {ROUNDS} rounds):")
    scratch = Path(tempfile.mkdtemp())
    stores = {"memory": MemoryStore, "sqlite": lambda: SQLiteStore(scratch / f"{time.time_ns()}.sqlite3")}
    for label, make_store in stores.items():
        await compare(guide, f"{label}, offline", make_store)
    # Over HTTP the fake Bot API runs in its own process, so it does not share this one's CPU;
    # once as fast as loopback allows, once with 20 ms per call, nearer to Telegram's own.
    for latency in (0.0, 0.02):
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_bot_api", str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        base_url = server.stdout.readline().strip()
        for label, make_store in stores.items():
            await compare(guide, f"{label}, HTTP +{latency * 1000:.0f} ms", make_store, base_url=base_url)
        server.stdin.close()
        server.wait(10)
    shutil.rmtree(scratch, ignore_errors=True)

    conversation = Conversation(guide, Renderer)
    print("\nFrom /start to the first result card (button taps, messages written):")
    for name, taps, written in taps_to_first_result(conversation):
        print(f"  {name:<34} {taps} taps, {written} messages")
    print(f"  every role x municipality x topic by buttons: at most {taps_over_every_button_path(conversation)} taps")


if __name__ == "__main__":
    asyncio.run(main())
