"""Telegram adapter: translates updates into flow events and replies into messages.

No guidance logic lives here. One handler each for commands, text, buttons and everything
else; an error handler that logs without message text.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
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
from bot.reply import Reply
from bot.schema import LANGUAGES
from bot.store import MemoryStore, StateStore

log = logging.getLogger("trivselsguiden.telegram")
TELEGRAM_LIMIT = 4096
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
    return InlineKeyboardMarkup([[InlineKeyboardButton(o.label, callback_data=o.data) for o in row] for row in reply.options])


class TelegramAdapter:
    def __init__(self, conversation: Conversation, store: StateStore | None = None):
        self.conversation = conversation
        self.store = store if store is not None else MemoryStore()

    def _state(self, update: Update) -> ChatState:
        stored = self.store.load(update.effective_chat.id)
        if stored is not None:
            return ChatState.from_dict(stored)
        user = update.effective_user
        code = (user.language_code or "da")[:2].lower() if user else "da"
        return ChatState(language=code if code in LANGUAGES else "da")

    async def _run(self, update: Update, event: Event) -> None:
        chat_id = update.effective_chat.id
        state, reply = self.conversation.handle(self._state(update), event)
        if event.kind == "command" and event.value.lower().lstrip("/") in ("slet", "delete"):
            self.store.delete(chat_id)
        else:
            self.store.save(chat_id, state.to_dict())
        await self.send(update, reply)

    async def send(self, update: Update, reply: Reply) -> None:
        bot = update.get_bot()
        chunks = [chunk for message in reply.messages for chunk in split_message(message)]
        for position, chunk in enumerate(chunks):
            markup = keyboard(reply) if position == len(chunks) - 1 else None
            await bot.send_message(update.effective_chat.id, chunk, reply_markup=markup)

    # ------------------------------------------------------------------ handlers
    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run(update, Event("start", argument=" ".join(context.args or [])[:64]))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text or ""
        command, _, argument = text.partition(" ")
        await self._run(update, Event("command", command[:64], argument.strip()[:64]))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run(update, Event("text", update.effective_message.text or ""))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer()  # always, so the button stops spinning
        await self._run(update, Event("button", (query.data or "")[:64]))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._run(update, Event("unsupported"))

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Nobody should tell their worries in a group: point to a private chat, once per command.
        language = self._state(update).language
        await update.effective_message.reply_text(self.conversation.renderer.message("group_chat", language))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Log the kind of error only: never the message text, names or usernames.
        log.error("update failed: %s", type(context.error).__name__)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            state = self._state(update)
            try:
                message = self.conversation.renderer.message("error", state.language)
                await update.get_bot().send_message(update.effective_chat.id, message)
            except Exception as error:  # the error reply must never raise in turn
                log.error("could not send the error reply: %s", type(error).__name__)

    def register(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE
        application.add_handler(CommandHandler("start", self.on_start, filters=private))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        application.add_handler(
            MessageHandler(private & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, self.on_text)
        )
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self.on_other))
        application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self.on_group))
        # Edited messages and everything in groups without a command: a deliberate silence.
        application.add_error_handler(self.on_error)


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
) -> Application:
    builder = ApplicationBuilder().token(token).defaults(Defaults(parse_mode=ParseMode.HTML)).post_init(set_command_menu)
    if base_url:
        builder = builder.base_url(f"{base_url.rstrip('/')}/bot").base_file_url(f"{base_url.rstrip('/')}/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter())
    application = builder.build()
    TelegramAdapter(conversation, store).register(application)
    return application
