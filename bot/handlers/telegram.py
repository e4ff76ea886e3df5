"""Telegram adapter: translates updates into flow events and replies into messages.

No guidance logic lives here. One handler each for commands, text, buttons and everything
else; an error handler that logs without message text.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import time
from contextvars import ContextVar
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.flow import ChatState, Conversation, Event
from bot.logs import fields
from bot.reply import Reply
from bot.schema import LANGUAGES
from bot.store import ChatKeys, MemoryStore, StateStore

log = logging.getLogger("trivselsguiden.telegram")
TELEGRAM_LIMIT = 4096
# Edited messages too: a text changed into a cry for help must reach the crisis check.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MAX_WORDS = 4096  # Telegram's own limit for a text or a caption
RECENT_UPDATES = "recent_updates"  # update ids already answered, kept beside the state to skip redeliveries
SEND_ATTEMPTS = 5
# Set by the webhook around one update; an error handler appends to it to ask for a redelivery.
REDELIVER: ContextVar[list[bool]] = ContextVar("redeliver")
COMMANDS = {
    "da": [
        ("start", "Start guiden"),
        ("ny", "Start forfra"),
        ("hjaelp", "Hjælp"),
        ("sprog", "Skift sprog"),
        ("slet", "Slet mine data"),
    ],
    "en": [
        ("start", "Start the guide"),
        ("ny", "Start again"),
        ("help", "Help"),
        ("sprog", "Change language"),
        ("slet", "Delete my data"),
    ],
    "sv": [
        ("start", "Starta guiden"),
        ("ny", "Börja om"),
        ("help", "Hjälp"),
        ("sprog", "Byt språk"),
        ("slet", "Radera mina data"),
    ],
}


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no part exceeds Telegram's limit."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > 0 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.options:
        return None
    return _keyboard(tuple(tuple((option.label, option.data) for option in row) for row in reply.options))


class _SharedKeyboard(InlineKeyboardMarkup):
    """An immutable keyboard that is serialised once: the same few keyboards (the questions,
    the result card) are sent again and again, and PTB would rebuild the dict every time."""

    __slots__ = ("_as_dict",)
    _as_dict: dict[str, Any]

    def to_dict(self, recursive: bool = True) -> dict:
        try:
            return self._as_dict
        except AttributeError:
            with self._unfrozen():
                self._as_dict = super().to_dict(recursive)
            return self._as_dict


@functools.lru_cache(maxsize=1024)
def _keyboard(rows: tuple[tuple[tuple[str, str], ...], ...]) -> InlineKeyboardMarkup:
    return _SharedKeyboard([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


def _label_of(message, data: str | None) -> str | None:
    markup = getattr(message, "reply_markup", None)
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


async def send_reliably(bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Send one message, retrying what Telegram or the network may fail for a moment:
    timeouts, dropped connections, 5xx and 429 (after the wait it asks for). A reply that
    reaches nobody is worse than one that, rarely, arrives twice."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
            return
        except BadRequest:
            raise  # our own mistake: sending it again changes nothing
        except RetryAfter as error:
            if attempt == SEND_ATTEMPTS:
                raise
            delay = error.retry_after.total_seconds() if hasattr(error.retry_after, "total_seconds") else error.retry_after
            log.warning("telegram asked to wait", extra=fields(seconds=delay, attempt=attempt))
            await asyncio.sleep(delay)
        except NetworkError as error:  # also TimedOut
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("send failed, retrying", extra=fields(error=type(error).__name__, attempt=attempt))
            await asyncio.sleep(0.2 * 2 ** (attempt - 1))


class TelegramAdapter:
    def __init__(
        self, conversation: Conversation, store: StateStore | None = None, chat_keys: ChatKeys | None = None, needs=None
    ):
        self.conversation = conversation
        self.store = store if store is not None else MemoryStore()
        self.chat_keys = chat_keys or ChatKeys("trivselsguiden")
        self.needs = needs  # bot.needs.NeedCounter: anonymous result counts, or None

    def _fresh_state(self, update: Update) -> ChatState:
        user = update.effective_user
        code = (user.language_code or "da")[:2].lower() if user else "da"
        return ChatState(language=code if code in LANGUAGES else "da")

    async def _language(self, update: Update) -> str:
        chat = update.effective_chat
        stored = await self.store.load(self.chat_keys(chat.id)) if chat is not None else None
        return ChatState.from_dict(stored).language if stored else self._fresh_state(update).language

    async def _run(self, update: Update, event: Event) -> None:
        """Load the chat's state, let the flow answer, save, send - one update of a chat at a time."""
        chat = update.effective_chat
        if chat is None:  # the handlers' filters let only chat updates through; a guard, not a path
            return
        chat_key = self.chat_keys(chat.id)
        started = time.perf_counter()
        async with self.store.lock(chat_key):
            if update.callback_query is not None:
                await self._acknowledge(update.callback_query)
            stored = await self.store.load(chat_key) or {}
            recent = [number for number in stored.get(RECENT_UPDATES, []) if isinstance(number, int)]
            if update.update_id in recent:  # Telegram delivered it again (a webhook retry): answered already
                log.info("duplicate update skipped", extra=fields(chat=chat_key))
                return
            state = ChatState.from_dict(stored) if stored else self._fresh_state(update)
            state, reply = self.conversation.handle(state, event)
            if reply.forget:  # the core says "delete this chat": nothing of it stays, but the chosen language
                await self.store.delete(chat_key)
                if state.language != self._fresh_state(update).language:
                    await self.store.save(chat_key, {"language": state.language})
            else:
                await self.store.save(chat_key, {**state.to_dict(), RECENT_UPDATES: [*recent, update.update_id][-16:]})
            await self.send(update.get_bot(), chat.id, reply)
            if self.needs is not None:
                await self.needs.record("telegram", state, reply)
            if update.callback_query is not None:
                await self._mark_pressed(update.callback_query)
        log.info(
            "update handled",
            extra=fields(
                chat=chat_key,
                kind=event.kind,
                step=state.step,
                crisis=reply.crisis,
                offers=list(reply.offer_ids)[:3],
                ms=round((time.perf_counter() - started) * 1000, 2),
            ),
        )

    async def _acknowledge(self, query) -> None:
        """Answer the button press at once, so the button stops spinning."""
        try:
            await query.answer()
        except TelegramError as error:  # the spinner stops by itself; the reply must still go out
            log.warning("could not answer the button press", extra=fields(error=type(error).__name__))

    async def _mark_pressed(self, query) -> None:
        """After the reply: take the keyboard off the message the button was on and note the
        choice there, so old buttons cannot be pressed again by mistake."""
        message = query.message
        chosen = _label_of(message, query.data) if message is not None else None
        if chosen is None or not getattr(message, "text", None):
            return
        try:
            await query.edit_message_text(f"{message.text_html}\n\n✓ <i>{html.escape(chosen)}</i>")
        except TelegramError as error:  # too old, not modified, already edited: the answer matters, not this
            log.info("could not mark the pressed button", extra=fields(error=type(error).__name__))

    async def send(self, bot, chat_id: int, reply: Reply) -> None:
        # One Telegram message per reply (split only past Telegram's limit): fewer calls, and
        # the buttons sit right under the whole answer.
        chunks = split_message("\n\n".join(message.strip() for message in reply.messages))
        for position, chunk in enumerate(chunks):
            markup = keyboard(reply) if position == len(chunks) - 1 else None
            await send_reliably(bot, chat_id, chunk, markup)

    # ------------------------------------------------------------------ handlers
    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run(update, Event("start", argument=" ".join(context.args or [])[:MAX_WORDS]))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = _words_of(update.effective_message)
        command, _, argument = text.partition(" ")
        await self._run(update, Event("command", command[:64], argument.strip()[:MAX_WORDS]))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run(update, Event("text", _words_of(update.effective_message)))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        data = update.callback_query.data if update.callback_query is not None else None
        await self._run(update, Event("button", (data or "")[:64]))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # A photo, a video or a file may carry words in its caption: the core checks them for crisis.
        caption = update.effective_message.caption if update.effective_message is not None else None
        await self._run(update, Event("unsupported", argument=(caption or "")[:MAX_WORDS]))

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # A changed message is read for danger only; the core answers nothing otherwise.
        await self._run(update, Event("edited", _words_of(update.effective_message)[:MAX_WORDS]))

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Nobody should tell their worries in a group: point to a private chat, once per command.
        language = self._fresh_state(update).language
        if update.effective_message is not None:
            await update.effective_message.reply_text(self.conversation.renderer.message("group_chat", language))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Log the kind of error only: never the message text, names or usernames.
        log.error("update failed", extra=fields(error=type(context.error).__name__))
        redelivery = REDELIVER.get(None)
        if redelivery is not None and isinstance(context.error, self.store.errors):
            # The state store is down: the webhook answers 503 and Telegram delivers this update
            # again later, so the person gets the real answer instead of an apology.
            redelivery.append(True)
            return
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            try:
                message = self.conversation.renderer.message("error", await self._language(update))
                await send_reliably(update.get_bot(), update.effective_chat.id, message, None)
            except Exception as error:  # the error reply must never raise in turn
                log.error("could not send the error reply", extra=fields(error=type(error).__name__))

    def register(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE
        # First: an edited message (also an edited command) goes to the crisis check only.
        application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, self.on_edited))
        application.add_handler(CommandHandler("start", self.on_start, filters=private))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        application.add_handler(
            MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, self.on_text)
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self.on_other))
        application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self.on_group))
        # Everything in groups without a command: a deliberate silence.
        application.add_error_handler(self.on_error)


def _words_of(message) -> str:
    """The words a message carries: its text, or a photo's or file's caption."""
    if message is None:
        return ""
    return message.text or message.caption or ""


async def set_command_menu(application: Application) -> None:
    for language, commands in COMMANDS.items():
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in commands],
            language_code=None if language == "da" else language,
        )


def build_application(
    conversation: Conversation,
    token: str,
    store: StateStore | None = None,
    base_url: str | None = None,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    chat_keys: ChatKeys | None = None,
    timeout_seconds: float | None = None,
    needs=None,
) -> Application:
    """The PTB Application with our handlers. The command menu is set by `serve` (or the test)."""
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # Updates of different chats run side by side; one chat's stay in order (the store's chat lock).
        .concurrent_updates(32)
    )
    if base_url:
        builder = builder.base_url(f"{base_url.rstrip('/')}/bot").base_file_url(f"{base_url.rstrip('/')}/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    elif timeout_seconds is not None:
        for setting in ("connect_timeout", "read_timeout", "write_timeout", "pool_timeout"):
            builder = getattr(builder, setting)(timeout_seconds)
            builder = getattr(builder, f"get_updates_{setting}")(timeout_seconds)
    if rate_limit:
        # PTB types the builder by its rate limiter's argument type; AIORateLimiter's differs.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    application = builder.build()
    TelegramAdapter(conversation, store, chat_keys, needs).register(application)
    return application
