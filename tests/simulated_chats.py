"""Many simulated people at once through the PTB Application's own update queue.

Each chat sends its next update only when the reply to the previous one has arrived, as a
person would; all chats run at the same time. Used by the load test and bench/bench_load.py.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from telegram import Update

from tests.offline_telegram import FakeUser, OfflineBotApi

# One person's way through the guide: buttons, a typed answer and a result.
JOURNEY = (
    ("text", "/start"),
    ("press", "a:role:parent"),
    ("press", "a:municipality:norddjurs"),
    ("text", "han er 9 og vil ikke i skole"),
    ("press", "a:severity:3"),
    ("press", "more"),
)


class WaitingBotApi(OfflineBotApi):
    """The offline Bot API that also wakes whoever waits for a chat's next message."""

    def __init__(self, keep_texts: bool = True):
        super().__init__()
        self.keep_texts = keep_texts  # a benchmark of memory keeps only counts, not every text
        self.replies: dict[int, list[str]] = defaultdict(list)
        self._arrived: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def do_request(self, url, method, request_data=None, **timeouts):
        answer = await super().do_request(url, method, request_data, **timeouts)
        if not self.keep_texts:
            self.calls.clear()
        if url.endswith("/sendMessage"):
            chat_id = int(request_data.parameters["chat_id"])
            self.replies[chat_id].append(request_data.parameters["text"] if self.keep_texts else "")
            self._arrived[chat_id].set()
        return answer

    async def next_reply(self, chat_id: int, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self._arrived[chat_id].wait(), timeout)
        self._arrived[chat_id].clear()


@dataclass
class LoadResult:
    chats: int
    updates: int
    seconds: float

    @property
    def updates_per_second(self) -> float:
        return self.updates / self.seconds


async def simulate(application, api: WaitingBotApi, chats: int, first_chat: int = 1_000_000) -> LoadResult:
    """Run JOURNEY for `chats` people at once through `application.update_queue`."""

    async def person(chat_id: int) -> None:
        user = FakeUser(chat_id=chat_id)
        for kind, value in JOURNEY:
            update = user.text(value) if kind == "text" else user.press(value)
            await application.update_queue.put(Update.de_json(update, application.bot))
            await api.next_reply(chat_id)

    started = time.perf_counter()
    await asyncio.gather(*(person(first_chat + number) for number in range(chats)))
    return LoadResult(chats, chats * len(JOURNEY), time.perf_counter() - started)
