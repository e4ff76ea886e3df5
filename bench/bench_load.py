"""Load: many simulated people at once through the PTB Application; updates per second and memory.

    .venv/bin/python -m bench.bench_load

Each person walks the same journey (tests/simulated_chats.py: /start, three buttons, one
typed message, a result and "more"), sending the next update when the reply has arrived; all
run at once through the Application's update queue (32 updates in flight, one chat's in
order). The Bot API is the offline request object, so the figures are this process's own
capacity. Memory: the process's peak RSS growth and Python's own peak allocation during the
run. Baseline in the same run: a bare echo bot through the same machinery.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import tempfile
import tracemalloc
from pathlib import Path

from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

from bot.catalogue import load_catalogue
from bot.flow import Conversation
from bot.guide import Guide
from bot.handlers.telegram import build_application
from bot.render import Renderer
from bot.store import MemoryStore, RedisStore, SQLiteStore
from tests.redis_server import redis_server
from tests.simulated_chats import JOURNEY, WaitingBotApi, simulate

SIZES = (100, 1_000, 3_000)


def echo_bot(api: WaitingBotApi):
    application = ApplicationBuilder().token("123:ECHO").request(api).get_updates_request(api).concurrent_updates(32).build()

    async def echo(update, context):
        if update.callback_query:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "?")

    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(echo))
    return application


_first_chats = iter(range(1_000_000, 10**12, 100_000))  # new people each run: a shared Redis remembers the last


async def run_once(make_application, chats: int, trace_memory: bool) -> tuple[float, float, float]:
    """(updates per second, Python peak MB, Python MB still held after the run)."""
    api = WaitingBotApi(keep_texts=False)
    application, store = make_application(api)
    gc.collect()
    if trace_memory:
        tracemalloc.start()
    async with application:
        await application.start()
        result = await simulate(application, api, chats, first_chat=next(_first_chats))
        await application.stop()
    peak = held = 0.0
    if trace_memory:
        gc.collect()
        held, peak = (value / 2**20 for value in tracemalloc.get_traced_memory())
        tracemalloc.stop()
    if store is not None:
        await store.close()
    return result.updates_per_second, peak, held


async def measure(label: str, make_application, chats: int) -> None:
    # Speed and memory in separate runs: tracemalloc would slow the first several times over.
    speed, _, _ = await run_once(make_application, chats, trace_memory=False)
    _, peak, held = await run_once(make_application, chats, trace_memory=True)
    print(
        f"  {label:<7} {chats:>5} chats {chats * len(JOURNEY):>6} updates {speed:7.0f} updates/s"
        f"   Python memory: peak {peak:6.1f} MB, held after {held:5.1f} MB"
    )


async def main() -> None:
    guide = Guide(load_catalogue())
    scratch = Path(tempfile.mkdtemp())
    print(f"Simulated people at once, {len(JOURNEY)} updates each, beside a bare echo bot:")

    def ours(make_store):
        def make(api):
            store = make_store()
            return build_application(Conversation(guide, Renderer), "123:TEST", store=store, request=api, rate_limit=False), store

        return make

    with redis_server() as redis_url:
        for chats in SIZES:
            await measure("echo", lambda api: (echo_bot(api), None), chats)
            await measure("memory", ours(MemoryStore), chats)
            await measure("sqlite", ours(lambda: SQLiteStore(scratch / "load.sqlite3")), chats)
            if redis_url:
                await measure("redis", ours(lambda: RedisStore(redis_url)), chats)
        if not redis_url:
            print("  (no redis-server on this machine: Redis not measured)")
    print(f"Peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
