"""Starting the guide: on Telegram when TELEGRAM_BOT_TOKEN is set, otherwise in the terminal;
the web chat with `run_bot.py web` (and beside Telegram when WEB_PORT is set).

On Telegram it polls, or listens for a webhook when WEBHOOK_URL is set; state goes to Redis
when REDIS_URL is set, otherwise to the SQLite file. See the README for every setting.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from bot.catalogue import CatalogueError, load_catalogue
from bot.config import Settings
from bot.flow import Conversation
from bot.guide import Guide
from bot.logs import configure_logging, fields
from bot.needs import NeedCounter
from bot.reload import CatalogueReloader
from bot.render import Renderer
from bot.store import ChatKeys, StateStore, open_store

log = logging.getLogger("trivselsguiden")
DEFAULT_WEB_PORT = 8080


def load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as error:
        problems = "\n".join(f"  {'.'.join(map(str, item['loc'])) or 'settings'}: {item['msg']}" for item in error.errors())
        print("The settings have errors:\n" + problems, file=sys.stderr)
        return None


def _start_up() -> tuple[Settings | None, Conversation | None]:
    """Settings and the guide with its catalogue; None for what could not be had (the error is printed)."""
    settings = load_settings()
    return settings, (_conversation(settings) if settings is not None else None)


def _conversation(settings: Settings) -> Conversation | None:
    try:
        return Conversation(Guide(load_catalogue(settings.catalogue or None)), Renderer)
    except CatalogueError as error:
        print("The catalogue has errors:\n" + str(error), file=sys.stderr)
        return None


def run(force_console: bool = False) -> int:
    settings, conversation = _start_up()
    if settings is None or conversation is None:
        return 2
    if settings.telegram_bot_token and not force_console:
        configure_logging(settings.log_level)
        from telegram.error import InvalidToken, NetworkError

        try:
            return asyncio.run(serve(conversation, settings))
        except InvalidToken:
            print("Telegram refused TELEGRAM_BOT_TOKEN: check the token from @BotFather.", file=sys.stderr)
        except NetworkError as error:
            where = settings.telegram_api_base_url or "api.telegram.org"
            print(f"Could not reach the Telegram Bot API at {where} ({type(error).__name__}).", file=sys.stderr)
        return 1
    from bot.console import Console

    return Console(conversation, language=settings.language).run()


async def serve(conversation: Conversation, settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Run on Telegram until SIGINT/SIGTERM (or `stop` is set)."""
    from bot.handlers.telegram import ALLOWED_UPDATES, build_application, set_command_menu
    from bot.handlers.webhook import start_webhook_server

    store = open_store(settings.redis_url, settings.state_path, settings.state_ttl_seconds)
    needs = NeedCounter(store, conversation, settings.count_needs)
    application = build_application(
        conversation,
        settings.telegram_bot_token,
        store=store,
        base_url=settings.telegram_api_base_url or None,
        chat_keys=ChatKeys(settings.chat_hash_key),
        timeout_seconds=settings.telegram_timeout_seconds,
        needs=needs,
    )
    reloader, stop = _until_stopped(conversation, settings, stop)
    mode = "webhook" if settings.webhook_url else "polling"

    async def health() -> dict:
        store_ok = await store.reachable()
        return {"ok": store_ok, "mode": mode, "offers": len(conversation.catalogue.offers), "store": type(store).__name__}

    server = watcher = web_server = None
    try:
        async with application:
            try:
                await set_command_menu(application)
            except Exception as error:  # the menu is a convenience; the guide works without it
                log.warning("could not set the command menu", extra=fields(error=type(error).__name__))
            await application.start()
            if settings.webhook_url:
                await application.bot.set_webhook(
                    settings.webhook_url,
                    secret_token=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                    max_connections=settings.webhook_max_connections,
                )
                server = start_webhook_server(
                    application,
                    settings.webhook_url,
                    settings.webhook_secret,
                    settings.webhook_listen,
                    settings.webhook_port,
                    health,
                )
            elif application.updater is None:  # build_application always gives one; a guard, not a mode
                raise RuntimeError("polling needs the application's updater, and it has none")
            else:
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            if settings.web_port:
                web_server = _start_web(conversation, settings, store, needs, health)
            if settings.catalogue_watch_seconds > 0:
                watcher = asyncio.create_task(reloader.watch(settings.catalogue_watch_seconds))
            log.info("trivselsguiden running", extra=fields(**await health()))
            await stop.wait()
            log.info("stopping")
            if watcher:
                watcher.cancel()
            for running_server in (server, web_server):
                if running_server:
                    running_server.stop()
            if application.updater and application.updater.running:
                await application.updater.stop()
            await application.stop()
    finally:
        await _close(store)  # also when start-up fails: the SQLite file is closed cleanly
    return 0


async def _close(store: StateStore) -> None:
    try:
        await store.close()
    except Exception as error:
        log.warning("could not close the state store", extra=fields(error=type(error).__name__))


def _start_web(conversation: Conversation, settings: Settings, store: StateStore, needs: NeedCounter, health, port=None):
    from bot.handlers.web import WebChat, build_web_app, start_web_server

    chat = WebChat(conversation, store, ChatKeys(settings.chat_hash_key), needs)
    app = build_web_app(chat, settings.web_frame_ancestors, settings.count_needs, health)
    return start_web_server(app, settings.web_host, port or settings.web_port)


def run_web(port: int | None = None) -> int:
    """`run_bot.py web [--port N]`: the web chat and staff pages, without Telegram."""
    settings, conversation = _start_up()
    if settings is None or conversation is None:
        return 2
    configure_logging(settings.log_level)
    try:
        return asyncio.run(serve_web(conversation, settings, port or settings.web_port or DEFAULT_WEB_PORT))
    except OSError as error:
        print(f"Could not listen on {settings.web_host}:{port or settings.web_port} ({error.strerror}).", file=sys.stderr)
        return 1


def _until_stopped(
    conversation: Conversation, settings: Settings, stop: asyncio.Event | None
) -> tuple[CatalogueReloader, asyncio.Event]:
    """SIGINT/SIGTERM set `stop`; SIGHUP reloads the catalogue."""
    reloader = CatalogueReloader(conversation, settings.catalogue or None)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    reloader.reload_on_hangup()
    return reloader, stop


async def serve_web(conversation: Conversation, settings: Settings, port: int, stop: asyncio.Event | None = None) -> int:
    """Run the web chat until SIGINT/SIGTERM (or `stop` is set)."""
    store = open_store(settings.redis_url, settings.state_path, settings.state_ttl_seconds)
    needs = NeedCounter(store, conversation, settings.count_needs)
    reloader, stop = _until_stopped(conversation, settings, stop)

    async def health() -> dict:
        return {
            "ok": await store.reachable(),
            "mode": "web",
            "offers": len(conversation.catalogue.offers),
            "store": type(store).__name__,
        }

    server = watcher = None
    try:
        server = _start_web(conversation, settings, store, needs, health, port)
        if settings.catalogue_watch_seconds > 0:
            watcher = asyncio.create_task(reloader.watch(settings.catalogue_watch_seconds))
        print(f"Trivselsguiden: http://{settings.web_host}:{port}/  (staff pages: /tilbud/)", file=sys.stderr, flush=True)
        await stop.wait()
        if watcher:
            watcher.cancel()
    finally:
        if server:
            server.stop()
        await _close(store)
    return 0
