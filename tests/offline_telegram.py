"""An offline Bot API for PTB's Application: a BaseRequest that answers like Telegram and
records every call, so tests assert on the sendMessage calls and keyboards a user would get."""

from __future__ import annotations

import html
import itertools
import json

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.console import plain
from bot.handlers.telegram import TELEGRAM_LIMIT
from bot.schema import LANGUAGES
from tests.story import Seen

BOT_USER = {"id": 999, "is_bot": True, "first_name": "Trivselsguiden", "username": "trivselsguiden_bot"}


class OfflineBotApi(BaseRequest):
    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self._message_ids = itertools.count(1000)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url, method, request_data: RequestData | None = None, **timeouts):
        name = url.rsplit("/", 1)[-1]
        parameters = request_data.parameters if request_data else {}
        self.calls.append((name, parameters))
        if name == "getMe":
            result = BOT_USER
        elif name in ("sendMessage", "editMessageText"):
            result = {
                "message_id": next(self._message_ids),
                "date": 0,
                "chat": {"id": parameters["chat_id"], "type": "private"},
                "text": parameters.get("text", ""),
            }
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self) -> list[dict]:
        return [parameters for name, parameters in self.calls if name == "sendMessage"]


class FakeUser:
    """Builds the updates one private-chat user sends."""

    def __init__(self, chat_id: int = 4242, language_code: str = "da"):
        self.chat_id = chat_id
        self.language_code = language_code
        self._ids = itertools.count(1)

    def _message(self, **content) -> dict:
        number = next(self._ids)
        user = {"id": self.chat_id, "is_bot": False, "first_name": "Anon", "language_code": self.language_code}
        message = {"message_id": number, "date": 0, "chat": {"id": self.chat_id, "type": "private"}, "from": user, **content}
        return {"update_id": number, "message": message}

    def text(self, text: str) -> dict:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
        return self._message(text=text, entities=entities) if entities else self._message(text=text)

    def press(self, data: str, pressed_on: dict | None = None) -> dict:
        """A button press; `pressed_on` is the sent message that carried the keyboard."""
        number = next(self._ids)
        user = {"id": self.chat_id, "is_bot": False, "first_name": "Anon", "language_code": self.language_code}
        message = {"message_id": 1, "date": 0, "chat": {"id": self.chat_id, "type": "private"}, "text": "..."}
        if pressed_on:
            message.update(text=plain(pressed_on["text"]), reply_markup=pressed_on.get("reply_markup"))
        return {
            "update_id": number,
            "callback_query": {"id": f"cb{number}", "from": user, "chat_instance": "ci", "data": data, "message": message},
        }

    def sticker(self) -> dict:
        sticker = {
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        return self._message(sticker=sticker)

    def photo(self, caption: str | None = None) -> dict:
        extra = {"caption": caption} if caption else {}
        return self._message(photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}], **extra)

    def edited(self, text: str) -> dict:
        """An earlier message of this chat, changed into `text`."""
        update = self.text(text)
        update["edited_message"] = {**update.pop("message"), "edit_date": 1}
        return update

    def voice(self) -> dict:
        return self._message(voice={"file_id": "v", "file_unique_id": "v", "duration": 1})

    def location(self) -> dict:
        return self._message(location={"latitude": 56.4, "longitude": 10.9})


async def deliver(application, update: dict) -> None:
    await application.process_update(Update.de_json(update, application.bot))


def offers_in(text: str, catalogue) -> list[str]:
    """Offer ids in the order their bold names appear in a sent message (any language)."""
    found = []
    for offer in catalogue.offers:
        positions = [text.find(f"<b>{html.escape(offer.name.get(language), quote=False)}</b>") for language in LANGUAGES]
        positions = [position for position in positions if position >= 0]
        if positions:
            found.append((min(positions), offer.id))
    return [offer_id for _, offer_id in sorted(found)]


def update_for(user: FakeUser, step: dict, pressed_on: dict | None = None) -> dict | None:
    """The Telegram update for one story step (None for a step that only checks)."""
    if "start" in step:
        return user.text(f"/start {step['start']}".strip())
    if "press" in step:
        return user.press(step["press"], pressed_on)
    if "press_old" in step:
        return user.press(step["press_old"])
    if "forge" in step:
        return user.press(step["forge"])
    if "write" in step:
        return user.text(step["write"]) if step["write"] else user.text(" ")
    if "write_long" in step:
        return user.text(("jeg har det svært " * 400)[: step["write_long"]])
    if "command" in step:
        return user.text(step["command"])
    if "unsupported" in step:
        return user.sticker()
    if "caption" in step:
        return user.photo(step["caption"])
    if "edited" in step:
        return user.edited(step["edited"])
    return None


def seen_in(sent: list[dict], catalogue) -> Seen:
    """What the person saw in these sendMessage calls, checked against Telegram's limits."""
    text = "\n".join(message["text"] for message in sent)
    buttons = [
        button["callback_data"]
        for message in sent
        if message.get("reply_markup")
        for row in message["reply_markup"]["inline_keyboard"]
        for button in row
    ]
    assert all(len(message["text"]) <= TELEGRAM_LIMIT for message in sent)
    assert all(len(data.encode()) <= 64 and data.isascii() for data in buttons)
    return Seen(text, buttons, "112 –" in plain(text), offers_in(text, catalogue))
