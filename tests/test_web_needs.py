"""Anonymous unmet needs: what is counted, that it holds no text, and that /tilbud/behov/
shows counts of 5 or more only."""

import json
import re
import sqlite3

import httpx

from bot import needs
from bot.needs import MIN_SHOWN, NeedRecord, age_band, summary
from bot.render import Renderer
from bot.store import MemoryStore
from tests.running_web import running_web, web_settings
from tests.story import STORIES, load

ALLOWED_FIELDS = {"day", "channel", "municipality", "role", "age_band", "topics", "level", "local_fit"}


async def reach_result(client, municipality: str, text: str, role: str = "parent") -> dict:
    await client.post("/api/chat", json={"kind": "button", "value": f"a:role:{role}"})
    await client.post("/api/chat", json={"kind": "button", "value": f"a:municipality:{municipality}"})
    return (await client.post("/api/chat", json={"kind": "text", "value": text})).json()


async def tap_to_result(client, municipality: str, age: int, topic: str) -> dict:
    for data in ("a:role:parent", f"a:municipality:{municipality}", f"a:age:{age}", f"a:topic:{topic}"):
        answer = (await client.post("/api/chat", json={"kind": "button", "value": data})).json()
    return answer


def stored_counts(tmp_path) -> dict[str, int]:
    return dict(sqlite3.connect(tmp_path / "state.sqlite3").execute("SELECT need, count FROM need_counts").fetchall())


async def test_each_result_is_counted_with_coded_fields_only(guide, tmp_path, catalogue):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        answer = await reach_result(client, "hedensted", "min datter på 12 er meget ensom og vil ikke i skole")
        assert answer["offers"] and not answer["crisis"]
        await client.post("/api/chat", json={"kind": "button", "value": "more"})  # a second page is not a new result
        await client.post("/api/chat", json={"kind": "text", "value": "jeg vil ikke leve mere"})  # crisis: not counted
        await client.post("/api/chat", json={"kind": "text", "value": "/slet"})
    counts = stored_counts(tmp_path)
    assert sum(counts.values()) == 1
    (key,) = counts
    record = json.loads(key)
    assert set(record) == ALLOWED_FIELDS
    assert record["channel"] == "web" and record["municipality"] == "hedensted" and record["role"] == "parent"
    assert record["age_band"] == "10-12" and record["local_fit"] is True
    assert set(record["topics"]) <= set(catalogue.topics) and "loneliness" in record["topics"]
    assert record["level"] in ("trin1", "trin2", "trin3", "akut")
    # /slet took the chat; only the anonymous count is left
    assert sqlite3.connect(tmp_path / "state.sqlite3").execute("SELECT COUNT(*) FROM chat_state").fetchone() == (0,)


async def test_counts_never_hold_what_people_wrote(guide, tmp_path, catalogue):
    """Every story through the web chat: not one written word (nor a session id) in the counts."""
    written = []
    async with running_web(guide, web_settings(tmp_path)) as web:
        for path in STORIES:
            story = load(path)
            async with web.client(story.get("language", "da")) as client:
                for step in story["steps"]:
                    if "write" in step:
                        written.append(step["write"])
                        await client.post("/api/chat", json={"kind": "text", "value": step["write"]})
                    elif "press" in step:
                        await client.post("/api/chat", json={"kind": "button", "value": step["press"]})
    counts = stored_counts(tmp_path)
    assert counts, "the stories give results, so something is counted"
    for key in counts:
        record = json.loads(key)
        assert set(record) == ALLOWED_FIELDS
        assert NeedRecord.from_key(key, catalogue) is not None  # every field is one of the known codes
    every_key = " ".join(counts)
    for text in written:
        assert len(text) < 6 or text not in every_key, f"{text!r} is in the counts"


async def test_the_needs_page_shows_counts_of_five_or_more_only(guide, tmp_path, catalogue):
    async with running_web(guide, web_settings(tmp_path)) as web:
        # Six results in Sweden about eating (national lines only there), four in Aarhus about anxiety.
        for _ in range(MIN_SHOWN + 1):
            async with web.client() as client:
                assert (await tap_to_result(client, "sverige", 10, "eating"))["offers"]
        for _ in range(MIN_SHOWN - 1):
            async with web.client() as client:
                assert (await tap_to_result(client, "aarhus", 14, "anxiety"))["offers"]
        async with web.client() as client:
            page = (await client.get("/tilbud/behov/")).text
    table = page[page.index("<table") : page.index("</table>")]
    assert "Sverige" in table and catalogue.topics["eating"].label.da in table
    assert "Aarhus" not in table  # 4 results: never shown, not even as a row
    cells = [int(number) for number in re.findall(r"<td>(\d+)</td>", table)]
    assert cells and min(cells) >= MIN_SHOWN
    assert "<meter" in table


async def test_counting_can_be_switched_off(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path, TRIVSEL_COUNT_NEEDS=False)) as web, web.client() as client:
        answer = await reach_result(client, "hedensted", "min datter på 12 er meget ensom")
        assert answer["offers"]
        page = (await client.get("/tilbud/behov/")).text
    assert stored_counts(tmp_path) == {}
    assert "Optællingen er slået fra" in page


def test_summary_hides_small_numbers_and_sorts_the_most_unmet_first(catalogue):
    def record(municipality, topic, local_fit):
        return NeedRecord("2026-11-23", "web", municipality, "parent", "10-12", (topic,), "trin1", local_fit)

    rows = summary(
        [
            (record("hedensted", "sleep", False), 7),
            (record("hedensted", "sleep", True), 2),
            (record("aarhus", "anxiety", True), 9),
            (record("aarhus", "anxiety", False), 3),
            (record("norddjurs", "grief", False), 4),
        ]
    )
    assert [(row.municipality, row.topic, row.results, row.without_local) for row in rows] == [
        ("hedensted", "sleep", 9, 7),
        ("aarhus", "anxiety", 12, None),  # 3 without a local offer: hidden
    ]


def test_records_from_the_store_with_unknown_codes_are_dropped(catalogue):
    good = NeedRecord("2026-11-23", "web", "aarhus", "youth", "13-15", ("anxiety",), "trin2", True)
    assert NeedRecord.from_key(good.key(), catalogue) == good
    for bad in (
        good.key().replace('"aarhus"', '"min søn Peter"'),
        good.key().replace('"anxiety"', '"jeg er ked af det"'),
        good.key().replace('"13-15"', '"14"'),
        "not json",
        json.dumps({"day": "2026-11-23"}),
    ):
        assert NeedRecord.from_key(bad, catalogue) is None


def test_age_bands_never_hold_an_exact_age():
    assert [age_band(age) for age in (None, 0, 5, 6, 12, 13, 15, 16, 17, 18, 40)] == [
        "-",
        "0-5",
        "0-5",
        "6-9",
        "10-12",
        "13-15",
        "13-15",
        "16-17",
        "16-17",
        "18+",
        "18+",
    ]


async def test_a_store_that_fails_does_not_lose_the_answer(guide, catalogue):
    class BrokenCounts(MemoryStore):
        async def count_need(self, key):
            raise OSError("disk full")

    from bot.flow import ChatState, Conversation, Event

    conversation = Conversation(guide, Renderer)
    counter = needs.NeedCounter(BrokenCounts(), conversation)
    state, reply = conversation.handle(ChatState(), Event("text", "min søn på 9 i Grenaa vil ikke i skole"))
    await counter.record("web", state, reply)  # logs a warning, raises nothing


async def test_telegram_and_the_web_chat_run_together_and_both_count(guide, tmp_path):
    """WEB_PORT set: `serve` runs Telegram and the web chat in one process, on one store."""
    from tests.fake_bot_api import FakeBotApi
    from tests.offline_telegram import FakeUser
    from tests.running_bot import running, settings_for
    from tests.running_web import free_port

    api = FakeBotApi()
    api.start()
    port = free_port()
    try:
        settings = settings_for(api.base_url, tmp_path, WEB_PORT=port, TRIVSEL_HASH_KEY="k")
        async with running(guide, settings):
            user = FakeUser()
            api.push(user.text("/start aarhus"))
            await api.wait_for_replies(0)
            api.push(user.text("jeg er 14 og har angst"))
            replies = await api.wait_for_replies(1)
            assert any("Center for Trivsel" in message["text"] for message in replies)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                answer = await tap_to_result(client, "aarhus", 14, "anxiety")
                assert "Center for Trivsel" in answer["html"]
                assert (await client.get("/healthz")).json()["ok"] is True
    finally:
        api.stop()
    channels = sorted(json.loads(key)["channel"] for key in stored_counts(tmp_path))
    assert channels == ["telegram", "web"]


async def test_redis_keeps_the_counts_too(redis_url, catalogue):
    from bot.store import RedisStore

    store = RedisStore(redis_url, prefix=f"needs-test-{id(catalogue)}:")
    record = NeedRecord("2026-11-23", "telegram", "norddjurs", "youth", "13-15", ("bullying",), "trin1", False)
    try:
        for _ in range(MIN_SHOWN):
            await store.count_need(record.key())
        assert await needs.load_records(store, catalogue) == [(record, MIN_SHOWN)]
        (row,) = summary(await needs.load_records(store, catalogue))
        assert (row.municipality, row.topic, row.results, row.without_local) == ("norddjurs", "bullying", 5, 5)
    finally:
        await store.client.delete(f"{store.prefix}needs")
        await store.close()
