"""Every story through the real PTB Application, offline: assert on what Telegram would get."""

import pytest

from bot.console import plain
from bot.flow import ChatState, Conversation
from bot.handlers.telegram import TELEGRAM_LIMIT, build_application, set_command_menu
from bot.store import MemoryStore
from tests.offline_telegram import FakeUser, OfflineBotApi, deliver, offers_in
from tests.story import STORIES, Seen, check, load


async def started(guide, rate_limit=False, store=None):
    api = OfflineBotApi()
    application = build_application(Conversation(guide), "123:TEST", store=store, request=api, rate_limit=rate_limit)
    await application.initialize()
    return api, application


def update_for(user: FakeUser, step: dict):
    if "start" in step:
        return user.text(f"/start {step['start']}".strip())
    if "press" in step:
        return user.press(step["press"])
    if "write" in step:
        return user.text(step["write"]) if step["write"] else user.text(" ")
    if "write_long" in step:
        return user.text(("jeg har det svært " * 400)[: step["write_long"]])
    if "command" in step:
        return user.text(step["command"])
    if "unsupported" in step:
        return user.sticker()
    return None


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
async def test_story_through_the_application(guide, path):
    story = load(path)
    language = story.get("language", "da")
    store = MemoryStore()
    api, application = await started(guide, store=store)
    user = FakeUser(language_code=language)
    seen = None
    for number, step in enumerate(story["steps"], start=1):
        update = update_for(user, step)
        if update is not None:
            before = len(api.sent())
            await deliver(application, update)
            sent = api.sent()[before:]
            assert sent, f"{path.stem} step {number}: no reply"
            text = "\n".join(message["text"] for message in sent)
            buttons = [
                b["callback_data"]
                for m in sent
                if m.get("reply_markup")
                for row in m["reply_markup"]["inline_keyboard"]
                for b in row
            ]
            assert all(len(message["text"]) <= TELEGRAM_LIMIT for message in sent)
            assert all(len(data.encode()) <= 64 for data in buttons)
            if "press" in step:
                assert api.calls[before:] and any(name == "answerCallbackQuery" for name, _ in api.calls), "button not answered"
            current_language = ChatState.from_dict(store.load(user.chat_id)).language
            seen = Seen(text, buttons, "112 –" in plain(text), offers_in(text, guide.catalogue, current_language))
        check(step, seen, f"{path.stem} step {number} (Telegram)")
    await application.shutdown()


async def test_command_menu_is_set_in_three_languages(guide):
    api, application = await started(guide)
    await set_command_menu(application)
    menus = [parameters for name, parameters in api.calls if name == "setMyCommands"]
    assert len(menus) == 3
    assert {"slet", "sprog", "ny"} <= {command["command"] for command in menus[0]["commands"]}


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_non_text_messages_get_a_kind_reply(guide, kind):
    api, application = await started(guide)
    await deliver(application, getattr(FakeUser(), kind)())
    (reply,) = api.sent()
    assert "kun læse tekst" in reply["text"]


async def test_group_chats_are_pointed_to_a_private_chat_and_hear_nothing_else(guide):
    api, application = await started(guide)
    user = FakeUser()
    group_text = user.text("jeg har det skidt")
    group_text["message"]["chat"] = {"id": -100, "type": "group"}
    await deliver(application, group_text)
    assert api.sent() == []
    group_command = user.text("/start")
    group_command["message"]["chat"] = {"id": -100, "type": "group"}
    await deliver(application, group_command)
    assert "privat chat" in api.sent()[0]["text"]


async def test_edited_messages_are_a_deliberate_silence(guide):
    api, application = await started(guide)
    update = FakeUser().text("hej")
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = 1
    await deliver(application, update)
    assert api.sent() == []


async def test_slet_forgets_the_chat(guide):
    store = MemoryStore()
    api, application = await started(guide, store=store)
    user = FakeUser()
    await deliver(application, user.text("/start aarhus"))
    await deliver(application, user.press("a:role:parent"))
    assert store.load(user.chat_id)["role"] == "parent"
    await deliver(application, user.text("/slet"))
    assert store.load(user.chat_id) is None
    assert "slettet" in api.sent()[-1]["text"]


async def test_the_rate_limiter_is_in_place_and_replies_still_arrive(guide):
    api, application = await started(guide, rate_limit=True)
    await deliver(application, FakeUser().text("/start"))
    assert "Hvem er du?" in api.sent()[-1]["text"]
    await application.shutdown()
