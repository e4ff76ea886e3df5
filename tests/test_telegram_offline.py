"""Every story through the real PTB Application, offline: assert on what Telegram would get."""

import pytest

from bot.console import plain
from bot.flow import Conversation
from bot.handlers.telegram import build_application, set_command_menu
from bot.render import Renderer
from bot.store import ChatKeys, MemoryStore
from tests.offline_telegram import FakeUser, OfflineBotApi, deliver, seen_in, update_for
from tests.story import STORIES, check, load

CHAT_KEYS = ChatKeys("test-key")


async def started(guide, rate_limit=False, store=None):
    api = OfflineBotApi()
    application = build_application(
        Conversation(guide, Renderer), "123:TEST", store=store, request=api, rate_limit=rate_limit, chat_keys=CHAT_KEYS
    )
    await application.initialize()
    return api, application


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
async def test_story_through_the_application(guide, path):
    story = load(path)
    language = story.get("language", "da")
    store = MemoryStore()
    api, application = await started(guide, store=store)
    user = FakeUser(language_code=language)
    seen = keyboard_message = None
    for number, step in enumerate(story["steps"], start=1):
        update = update_for(user, step, keyboard_message)
        if update is not None:
            before = len(api.calls)
            await deliver(application, update)
            sent = [parameters for name, parameters in api.calls[before:] if name == "sendMessage"]
            assert sent, f"{path.stem} step {number}: no reply"
            if "press" in step:
                assert any(name == "answerCallbackQuery" for name, _ in api.calls[before:]), "button not answered"
            seen = seen_in(sent, guide.catalogue)
            keyboard_message = next((message for message in reversed(sent) if message.get("reply_markup")), None)
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
    assert (await store.load(CHAT_KEYS(user.chat_id)))["role"] == "parent"
    await deliver(application, user.text("/slet"))
    assert await store.load(CHAT_KEYS(user.chat_id)) is None
    assert "slettet" in api.sent()[-1]["text"]


@pytest.mark.parametrize("alias", ["/slet", "/delete", "/radera"])
async def test_slet_keeps_only_a_chosen_language(guide, alias):
    store = MemoryStore()
    api, application = await started(guide, store=store)
    user = FakeUser(language_code="da")
    await deliver(application, user.text("/start aarhus"))
    await deliver(application, user.text("/sprog en"))
    await deliver(application, user.press("a:role:parent"))
    await deliver(application, user.text(alias))
    assert await store.load(CHAT_KEYS(user.chat_id)) == {"language": "en"}  # no answer, no update id: only the language
    assert "deleted" in api.sent()[-1]["text"]
    await deliver(application, user.text("/ny"))
    assert "Who are you?" in api.sent()[-1]["text"]


CRISIS_WORDS = "jeg vil ikke leve mere"


def _edited_caption(user):
    update = user.photo(caption="hej")
    update["edited_message"] = {**update.pop("message"), "caption": CRISIS_WORDS, "edit_date": 1}
    return update


UPDATES_WITH_WORDS = {
    "text": lambda user: user.text(CRISIS_WORDS),
    "command argument": lambda user: user.text(f"/hjaelp {CRISIS_WORDS}"),
    "start payload": lambda user: user.text(f"/start {CRISIS_WORDS}"),
    "photo caption": lambda user: user.photo(caption=CRISIS_WORDS),
    "edited text": lambda user: user.edited(CRISIS_WORDS),
    "edited command": lambda user: user.edited(f"/hjaelp {CRISIS_WORDS}"),
    "edited caption": _edited_caption,
}


@pytest.mark.parametrize("kind", UPDATES_WITH_WORDS)
async def test_every_update_with_words_gets_the_crisis_answer_first(guide, kind):
    api, application = await started(guide)
    user = FakeUser()
    await deliver(application, user.text("/start"))
    await deliver(application, UPDATES_WITH_WORDS[kind](user))
    reply = api.sent()[-1]
    text = plain(reply["text"])
    assert "112 –" in text and "116 111" in text, kind
    assert "kun læse tekst" not in text and "Sådan bruger du" not in text
    assert [button["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for button in row] == ["go", "new"]


async def test_edited_messages_are_delivered_by_telegram(guide):
    from bot.handlers.telegram import ALLOWED_UPDATES

    assert "edited_message" in ALLOWED_UPDATES


async def test_the_rate_limiter_is_in_place_and_replies_still_arrive(guide):
    api, application = await started(guide, rate_limit=True)
    await deliver(application, FakeUser().text("/start"))
    assert "Hvem er du?" in api.sent()[-1]["text"]
    await application.shutdown()
