"""The catalogue is reloaded when a file changes; a broken change is refused and the last good
catalogue keeps serving. (SIGHUP through the running bot: tests/test_telegram_http.py.)"""

import asyncio

from bot.catalogue import load_catalogue
from bot.flow import ChatState, Conversation, Event
from bot.guide import Guide
from bot.reload import CatalogueReloader
from bot.render import Renderer
from tests.running_bot import wait_until


async def test_the_watcher_picks_up_a_changed_file_and_refuses_a_broken_one(knowledge_copy, caplog):
    conversation = Conversation(Guide(load_catalogue(knowledge_copy)), Renderer)
    reloader = CatalogueReloader(conversation, knowledge_copy)
    watcher = asyncio.create_task(reloader.watch(0.05))
    offers = knowledge_copy / "offers.yaml"
    original = offers.read_text(encoding="utf-8")
    try:
        offers.write_text(
            original.replace("{da: Skolevægringsprojektet (PPR og FTI),", "{da: Skolevægringsprojektet (nyt navn),", 1),
            encoding="utf-8",
        )
        await wait_until(lambda: "nyt navn" in conversation.catalogue.offers_by_id["norddjurs-skolevaegring"].name.get("da"))
        good = conversation.catalogue

        offers.write_text(original.replace("level: trin2", "level: trin9", 1), encoding="utf-8")
        await wait_until(lambda: "catalogue refused" in caplog.text)
        assert conversation.catalogue is good
        _, reply = conversation.handle(ChatState(), Event("text", "min søn på 9 i Grenaa vil ikke i skole"))
        assert "Skolevægringsprojektet (nyt navn)" in "\n".join(reply.messages)  # still serving the last good one
    finally:
        watcher.cancel()
