"""Many people at once through the Application: every reply arrives, each chat in its own order.

(Speed is measured in bench/bench_load.py, not here.)
"""

from bot.flow import Conversation
from bot.handlers.telegram import build_application
from bot.render import Renderer
from bot.store import SQLiteStore
from tests.simulated_chats import JOURNEY, WaitingBotApi, simulate

EXPECTED_IN_ORDER = [
    "Hvem er du?",
    "Hvilken kommune",
    "Hvor gammelt er dit barn?",
    "Skolevægringsprojektet",
    "Skolevægringsprojektet",
    "Flere steder, der kan hjælpe",
]


async def test_three_hundred_chats_at_once_each_get_their_answers_in_order(guide, tmp_path):
    api = WaitingBotApi()
    store = SQLiteStore(tmp_path / "state.sqlite3")
    application = build_application(Conversation(guide, Renderer), "123:TEST", store=store, request=api, rate_limit=False)
    async with application:
        await application.start()
        result = await simulate(application, api, chats=300)
        await application.stop()
    assert result.updates == 300 * len(JOURNEY)
    assert len(api.replies) == 300
    for chat_id, replies in api.replies.items():
        assert len(replies) == len(JOURNEY), chat_id
        for reply, expected in zip(replies, EXPECTED_IN_ORDER, strict=True):
            assert expected in reply, (chat_id, expected)
    assert len(store) == 300
    await store.close()
