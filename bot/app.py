"""Starting the guide: on Telegram when TELEGRAM_BOT_TOKEN is set, otherwise in the terminal."""

from __future__ import annotations

import logging
import os
import sys

from bot.catalogue import CatalogueError, load_catalogue
from bot.flow import Conversation
from bot.guide import Guide


def run(force_console: bool = False) -> int:
    try:
        conversation = Conversation(Guide(load_catalogue(os.environ.get("TRIVSEL_CATALOGUE") or None)))
    except CatalogueError as error:
        print("The catalogue has errors:\n" + str(error), file=sys.stderr)
        return 2
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token and not force_console:
        from bot.handlers.telegram import build_application

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines carry the bot token in URLs
        application = build_application(conversation, token, base_url=os.environ.get("TELEGRAM_API_BASE_URL") or None)
        application.run_polling(allowed_updates=["message", "callback_query"])
        return 0
    from bot.console import Console

    language = os.environ.get("TRIVSEL_LANGUAGE", "da")
    return Console(conversation, language=language if language in ("da", "en", "sv") else "da").run()
