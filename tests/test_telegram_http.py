"""The guide over Telegram's HTTP protocol: `serve` (as production runs it) against a local
fake Bot API server, with polling; faults injected into the server lose no reply."""

import asyncio
import os
import signal

import pytest

from bot.store import ChatKeys, SQLiteStore
from tests.fake_bot_api import FakeBotApi
from tests.offline_telegram import FakeUser
from tests.running_bot import TOKEN, play_story, running, settings_for, wait_until
from tests.story import STORIES, load


@pytest.fixture
def api():
    server = FakeBotApi(timeout_delay=2.5)
    server.start()
    yield server
    server.stop()


def push_to(api):
    async def deliver(update):
        api.push(update)

    return deliver


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
async def test_story_over_http_with_polling(guide, api, tmp_path, path, json_log):
    story = load(path)
    user = FakeUser(chat_id=73_914_551, language_code=story.get("language", "da"))
    settings = settings_for(api.base_url, tmp_path)
    async with running(guide, settings):
        await play_story(api, story, guide.catalogue, user, push_to(api))
    # Neither the logs (even at DEBUG) nor the state file hold what was written, a name or the chat id.
    logged = json_log.getvalue()
    assert '"event": "update handled"' in logged
    stored = b"".join(file.read_bytes() for file in tmp_path.glob("state.sqlite3*")).decode("utf-8", "replace")
    written = [step["write"] for step in story["steps"] if len(step.get("write") or "") >= 6]
    for secret in [*written, "Anon", str(user.chat_id)]:
        assert secret not in logged, f"{secret!r} in the logs"
        assert secret not in stored, f"{secret!r} in the state file"
    called = {name for name, _ in api.calls}
    assert {"getMe", "getUpdates", "setMyCommands", "sendMessage"} <= called
    if any("press" in step for step in story["steps"]):
        assert "answerCallbackQuery" in called


async def test_the_pressed_message_shows_the_choice_and_loses_its_keyboard(guide, api, tmp_path):
    async with running(guide, settings_for(api.base_url, tmp_path)):
        user = FakeUser()
        api.push(user.text("/start"))
        *_, question = await api.wait_for_replies(0)
        api.push(user.press("a:role:parent", question))
        await api.wait_for_replies(len(api.sent()))
    (edited,) = api.called("editMessageText")
    assert "Hvem er du?" in edited["text"] and edited["text"].endswith("\n\n✓ <i>Jeg er forælder</i>")
    assert "reply_markup" not in edited


@pytest.mark.parametrize(
    "method, faults",
    [
        ("sendMessage", ["500"]),
        ("sendMessage", ["502", "502"]),
        ("sendMessage", ["429"]),
        ("sendMessage", ["drop"]),
        ("sendMessage", ["timeout"]),
        ("getUpdates", ["500", "drop"]),
        ("getUpdates", ["429"]),
        ("answerCallbackQuery", ["500"]),
    ],
)
async def test_faults_lose_no_reply(guide, api, tmp_path, method, faults):
    async with running(guide, settings_for(api.base_url, tmp_path)):
        user = FakeUser()
        api.push(user.text("/start aarhus"))
        await api.wait_for_replies(0)
        api.inject(method, *faults)
        api.push(user.press("a:role:youth"))
        replies = await api.wait_for_replies(len(api.sent()), quiet=0.5, timeout=30)
        assert any("Hvor gammel er du?" in message["text"] for message in replies), f"reply lost under {method} {faults}"
        api.push(user.text("jeg er 14 og har angst"))  # and the bot still runs
        replies = await api.wait_for_replies(len(api.sent()), timeout=30)
        assert any("Center for Trivsel" in message["text"] for message in replies)
    assert sum(api.faults_served.values()) == len(faults)


async def test_a_restart_mid_conversation_keeps_the_conversation(guide, api, tmp_path):
    settings = settings_for(api.base_url, tmp_path)
    user = FakeUser()
    async with running(guide, settings):
        api.push(user.text("/start"))
        await api.wait_for_replies(0)
        api.push(user.press("a:role:parent"))
        await api.wait_for_replies(1)
        api.push(user.press("a:municipality:norddjurs"))
        await api.wait_for_replies(2)
    async with running(guide, settings):  # a new process would read the same SQLite file
        before = len(api.sent())
        api.push(user.text("han er 9 og vil ikke i skole"))
        (answer, *_) = await api.wait_for_replies(before)
    assert "Skolevægringsprojektet" in answer["text"]


async def test_sighup_reloads_the_catalogue_and_a_broken_one_is_refused(guide, api, tmp_path, caplog, knowledge_copy):
    knowledge = knowledge_copy
    source = guide.catalogue.files[0].parent
    settings = settings_for(api.base_url, tmp_path, TRIVSEL_CATALOGUE=str(knowledge))
    offers = knowledge / "offers.yaml"
    async with running(guide, settings) as conversation:
        await wait_until(lambda: api.called("setMyCommands"))  # started, with the SIGHUP handler in place
        good = conversation.catalogue
        offers.write_text(offers.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_until(lambda: "catalogue refused" in caplog.text)
        assert conversation.catalogue is good  # the last good one keeps serving
        original = (source / "offers.yaml").read_text(encoding="utf-8")
        renamed = original.replace("name: {da: Center for Trivsel,", "name: {da: Center for Trivsel (ny),", 1)
        offers.write_text(renamed, encoding="utf-8")
        os.kill(os.getpid(), signal.SIGHUP)
        await wait_until(lambda: conversation.catalogue is not good)
        user = FakeUser()
        api.push(user.text("/start aarhus"))
        await api.wait_for_replies(0)
        api.push(user.text("jeg er 14 og har angst"))
        replies = await api.wait_for_replies(1)
    refusal = next(record for record in caplog.records if record.getMessage().startswith("catalogue refused"))
    assert any(problem.startswith(str(offers) + ":") for problem in refusal.fields["problems"])  # file and line
    assert any("Center for Trivsel (ny)" in message["text"] for message in replies)


async def test_slet_and_expiry_leave_nothing_in_the_sqlite_file(guide, api, tmp_path):
    # The anonymous result counts (bot.needs: municipality, topic ids, ...) outlive /slet by design;
    # tests/test_web_needs.py checks what they hold. Here: nothing of the chat itself is left.
    settings = settings_for(api.base_url, tmp_path, TRIVSEL_STATE_TTL_HOURS=1, TRIVSEL_COUNT_NEEDS=False)
    user = FakeUser(chat_id=8181)
    async with running(guide, settings):
        api.push(user.text("/start"))
        await api.wait_for_replies(0)
        api.push(user.text("min datter på 12 i Hedensted er meget ensom"))
        await api.wait_for_replies(1)
        store = SQLiteStore(settings.state_path)
        assert await store.load(ChatKeys(TOKEN)(8181)) is not None
        api.push(user.text("/slet"))
        await api.wait_for_replies(len(api.sent()))
    raw = settings.state_path.read_bytes()
    assert await store.load(ChatKeys(TOKEN)(8181)) is None
    assert b"ensom" not in raw and b"hedensted" not in raw and b"8181" not in raw
    await store.close()
    await asyncio.sleep(0)


async def test_a_command_menu_that_cannot_be_set_does_not_stop_the_bot(guide, api, tmp_path):
    api.inject("setMyCommands", "500")
    async with running(guide, settings_for(api.base_url, tmp_path)):
        api.push(FakeUser().text("/start"))
        replies = await api.wait_for_replies(0)
    assert any("Hvem er du?" in message["text"] for message in replies)
    assert api.faults_served["setMyCommands:500"] == 1
