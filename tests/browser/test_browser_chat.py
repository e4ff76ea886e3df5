"""The web chat in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright;
no browser is downloaded): a parent, a young person, a teacher and a crisis message, in Danish
and English, at phone (360 px) and desktop width, keyboard only where it matters. Screenshots
and the measured figures are saved under tests/artifacts/ for review."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

import pytest

from bot.flow import ChatState, Conversation, Event
from tests.running_web import running_web, web_settings

CHROMIUM = Path(os.environ.get("TRIVSEL_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}

if not CHROMIUM.exists():
    if os.environ.get("TRIVSEL_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"TRIVSEL_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}: apt-get install chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

async_playwright = pytest.importorskip("playwright.async_api").async_playwright


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def site(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web:
        yield web


class Visit:
    """One person's page, with what the browser fetched and complained about."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.bytes = 0
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("response", self._on_response)
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def _on_response(self, response):
        if not response.url.startswith(self.base_url):
            self.foreign.append(response.url)
        with contextlib.suppress(Exception):  # a redirect or an empty answer has no body
            self.bytes += len(await response.body())

    async def answers(self) -> int:
        return await self.page.locator("#log .msg.guide").count()

    async def last_answer(self):
        return self.page.locator("#log .msg.guide").last

    async def press(self, label: str, keyboard: bool = False) -> float:
        """Press the option with this label (with Tab and Enter when `keyboard`); returns seconds to the answer."""
        before = await self.answers()
        started = time.perf_counter()
        if keyboard:
            for _ in range(80):
                await self.page.keyboard.press("Tab")
                focused = await self.page.evaluate("document.activeElement && document.activeElement.textContent.trim()")
                if focused == label:
                    break
            else:
                raise AssertionError(f"could not reach {label!r} with the Tab key")
            await self.page.keyboard.press("Enter")
        else:
            await self.page.locator("#options").get_by_role("button", name=label, exact=True).click()
        await self.page.locator("#log .msg.guide").nth(before).wait_for()
        return time.perf_counter() - started

    async def write(self, text: str, label: str) -> float:
        before = await self.answers()
        started = time.perf_counter()
        box = self.page.get_by_label(label)  # the text box has a real label
        await box.fill(text)
        await box.press("Enter")
        await self.page.locator("#log .msg.guide").nth(before).wait_for()
        return time.perf_counter() - started


async def open_chat(browser, site, language: str, width: str) -> tuple[Visit, float]:
    context = await browser.new_context(viewport=WIDTHS[width], locale={"da": "da-DK", "en": "en-GB"}[language])
    page = await context.new_page()
    visit = Visit(page, site.base_url)
    started = time.perf_counter()
    await page.goto(site.base_url + "/")
    await page.locator("#log .msg.guide").first.wait_for()
    return visit, time.perf_counter() - started


def core_reply(conversation: Conversation, language: str, events: list[Event]):
    """What the core (and so Telegram and the terminal) answers to the same steps."""
    state, reply = conversation.handle(ChatState(language=language), Event("start"))
    for event in events:
        state, reply = conversation.handle(state, event)
    return reply


def asks_the_direct_question(conversation: Conversation, language: str, events: list[Event]) -> bool:
    return core_reply(conversation, language, events).keys[:1] == ("ask_danger",)


def expected_first_offer(conversation: Conversation, language: str, events: list[Event]) -> str:
    reply = core_reply(conversation, language, events)
    assert reply.offer_ids, "the steps should reach a result"
    return conversation.catalogue.offers_by_id[reply.offer_ids[0]].name.get(language)


async def finish(visit: Visit, name: str, width: str) -> None:
    page = visit.page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    assert visit.foreign == [], f"fetched from elsewhere: {visit.foreign}"
    assert visit.errors == [], f"console errors (CSP?): {visit.errors}"
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the {width} screen"
    await page.context.close()


def note(name: str, **figures) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "browser-figures.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    known[name] = figures
    path.write_text(json.dumps(known, indent=2, sort_keys=True))
    print(name, figures)


ROLE = {
    "da": {"parent": "Jeg er forælder", "youth": "Jeg er ung og skriver for mig selv", "professional": "Jeg arbejder med børn"},
    "en": {"parent": "I'm a parent", "youth": "I'm young and writing for myself", "professional": "I work with children"},
}
WRITE = {"da": "Skriv med dine egne ord", "en": "Write in your own words"}
NO = {"da": "Nej", "en": "No"}  # the answer to the direct question


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_parent_reaches_the_right_offer(browser, site, language, width):
    visit, first_answer = await open_chat(browser, site, language, width)
    page = visit.page
    assert await page.evaluate("document.documentElement.lang") == language
    catalogue = site.conversation.catalogue
    taps = [
        await visit.press(ROLE[language]["parent"]),
        await visit.press(catalogue.municipalities["hedensted"].name.get(language)),
    ]
    taps.append(await visit.press("9"))
    words = {"da": "han vil ikke i skole og har ondt i maven", "en": "he will not go to school and has a stomach ache"}[language]
    taps.append(await visit.write(words, WRITE[language]))
    steps = [
        Event("button", "a:role:parent"),
        Event("button", "a:municipality:hedensted"),
        Event("button", "a:age:9"),
        Event("text", words),
    ]
    if asks_the_direct_question(site.conversation, language, steps):
        # The crisis check may ask a worried parent directly (it errs towards asking); the parent
        # answers No, in the browser as in the core, and goes on to the offer.
        taps.append(await visit.press(NO[language]))
        steps.append(Event("button", "a:danger:no"))
    expected = expected_first_offer(site.conversation, language, steps)
    answer = await visit.last_answer()
    assert expected in await answer.inner_text()
    assert await answer.locator('a[href^="tel:"]').count() >= 1  # contact details a phone can call
    await finish(visit, f"parent-{language}", width)
    note(
        f"parent-{language}-{width}",
        first_answer_s=round(first_answer, 3),
        slowest_tap_s=round(max(taps), 3),
        page_bytes=visit.bytes,
    )
    assert visit.bytes < 100_000


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_young_person_gets_there_with_the_keyboard_only(browser, site, language, width):
    visit, _ = await open_chat(browser, site, language, width)
    catalogue = site.conversation.catalogue
    await visit.press(ROLE[language]["youth"], keyboard=True)
    await visit.press(catalogue.municipalities["aarhus"].name.get(language), keyboard=True)
    await visit.press("14", keyboard=True)
    await visit.press(catalogue.topics["anxiety"].label.get(language), keyboard=True)
    expected = expected_first_offer(
        site.conversation,
        language,
        [Event("button", data) for data in ("a:role:youth", "a:municipality:aarhus", "a:age:14", "a:topic:anxiety")],
    )
    answer = await visit.last_answer()
    assert expected in await answer.inner_text() and "Center for Trivsel" in expected
    # A screen reader hears new messages: they are added inside the live region.
    log = visit.page.locator("#log")
    assert await log.get_attribute("aria-live") == "polite" and await log.get_attribute("role") == "log"
    assert await log.locator(".msg.me").count() == 4  # what was pressed is shown too
    await finish(visit, f"youth-{language}", width)


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_teacher_reaches_the_right_offer(browser, site, language, width):
    visit, _ = await open_chat(browser, site, language, width)
    catalogue = site.conversation.catalogue
    await visit.press(ROLE[language]["professional"])
    await visit.press(catalogue.municipalities["norddjurs"].name.get(language))
    await visit.press("11")
    await visit.press(catalogue.topics["bullying"].label.get(language))
    expected = expected_first_offer(
        site.conversation,
        language,
        [Event("button", data) for data in ("a:role:professional", "a:municipality:norddjurs", "a:age:11", "a:topic:bullying")],
    )
    assert expected in await (await visit.last_answer()).inner_text()
    await finish(visit, f"teacher-{language}", width)


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["da", "en"])
async def test_a_crisis_message_gets_call_links_at_the_top(browser, site, language, width):
    visit, _ = await open_chat(browser, site, language, width)
    await visit.press(ROLE[language]["youth"])
    message = {"da": "jeg vil ikke leve mere", "en": "I don't want to live anymore"}[language]
    seconds = await visit.write(message, WRITE[language])
    answer = await visit.last_answer()
    first_link = answer.locator("a").first
    assert await first_link.get_attribute("href") == "tel:112"
    assert await answer.locator(".call-now a").nth(1).get_attribute("href") == "tel:116111"
    # The call links are the first thing of the answer, and on the screen.
    box = await first_link.bounding_box()
    assert box is not None and 0 <= box["y"] < WIDTHS[width]["height"]
    assert re.search(r"112", await answer.inner_text())
    await finish(visit, f"crisis-{language}", width)
    note(f"crisis-{language}-{width}", answer_s=round(seconds, 3))


async def test_language_can_be_changed_on_the_page(browser, site):
    visit, _ = await open_chat(browser, site, "da", "phone")
    page = visit.page
    await page.get_by_role("button", name="English", exact=True).click()
    await page.wait_for_function("document.documentElement.lang === 'en'")
    await page.get_by_text("Who are you?").wait_for()
    await page.get_by_role("button", name="Start again").wait_for()
    await finish(visit, "language-switch", "phone")


async def test_the_staff_filters_work_in_the_browser(browser, site):
    context = await browser.new_context(viewport=WIDTHS["desktop"])
    page = await context.new_page()
    await page.goto(site.base_url + "/tilbud/")
    catalogue = site.conversation.catalogue
    cards = page.locator("#offers .offer")
    assert await cards.count() == len(catalogue.offers)
    await page.get_by_label("Kommune").select_option("hedensted")
    await page.get_by_label("Kun uden henvisning").check()
    expected = [offer.id for offer in catalogue.offers if "hedensted" in offer.areas and not offer.referral]
    visible = page.locator("#offers .offer:visible")
    assert [re.sub("^offer-", "", await card.get_attribute("id")) for card in await visible.all()] == expected
    assert f"{len(expected)} tilbud vist" in await page.locator("#shown").inner_text()
    await page.get_by_role("searchbox", name="Søg").fill("ZZZ-findes-ikke")
    assert await visible.count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.get_by_role("searchbox", name="Søg").fill("")
    await page.screenshot(path=str(ARTIFACTS / "staff-filters-desktop.png"))
    await page.goto(site.base_url + "/tilbud/kommune/hedensted/")
    await page.screenshot(path=str(ARTIFACTS / "staff-steps-hedensted-desktop.png"), full_page=True)
    await context.close()


async def test_without_javascript_the_forms_still_guide(browser, site):
    context = await browser.new_context(viewport=WIDTHS["phone"], java_script_enabled=False, locale="da-DK")
    page = await context.new_page()
    await page.goto(site.base_url + "/")
    for label in ("Jeg er forælder", "Aarhus Kommune", "9"):
        await page.locator("#options").get_by_role("button", name=label, exact=True).click()
        await page.wait_for_load_state()
    await page.get_by_label("Skriv med dine egne ord").fill("hun har angst")
    await page.get_by_role("button", name="Send", exact=True).click()
    await page.wait_for_load_state()
    assert "Center for Trivsel" in await page.locator("#log").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "no-javascript-phone.png"), full_page=True)
    await context.close()


async def test_the_one_line_embed_works_on_the_municipalitys_site(browser, guide, tmp_path):
    """A page on another port of the same site carries the <script> line; the chat runs in its iframe."""
    import tornado.web

    from tests.running_web import free_port

    host_port = free_port()
    host = f"http://127.0.0.1:{host_port}"
    async with running_web(guide, web_settings(tmp_path, WEB_FRAME_ANCESTORS=host)) as web:
        line = f'<script src="{web.base_url}/static/app.js" data-trivselsguiden data-start="hedensted" async></script>'

        class HostPage(tornado.web.RequestHandler):
            def get(self):
                self.finish(f"<!doctype html><title>Hedensted Kommune</title><h1>Trivsel</h1>{line}")

        server = tornado.web.Application([(r"/", HostPage)]).listen(host_port, address="127.0.0.1")
        try:
            context = await browser.new_context(viewport=WIDTHS["desktop"], locale="da-DK")
            page = await context.new_page()
            await page.goto(host + "/")
            frame = page.frame_locator("iframe[title=Trivselsguiden]")
            await frame.locator("#options").get_by_role("button", name="Jeg er forælder", exact=True).click()
            await frame.get_by_text("Hvor gammelt er dit barn?").wait_for()  # Hedensted came with the line
            await frame.locator("#options").get_by_role("button", name="12", exact=True).click()
            await frame.get_by_text("Hvad drejer det sig om?").wait_for()  # the session held across answers
            await page.screenshot(path=str(ARTIFACTS / "embedded-desktop.png"), full_page=True)
            await context.close()
        finally:
            server.stop()


async def test_the_static_export_filters_from_its_address(browser, catalogue, tmp_path):
    """`run_bot.py site OUTDIR`, opened from disk: the script reads the filters from the address."""
    from bot.site import export

    export(catalogue, tmp_path, [], counting=True)
    context = await browser.new_context(viewport=WIDTHS["phone"])
    page = await context.new_page()
    await page.goto((tmp_path / "tilbud" / "index.html").as_uri() + "?municipality=norddjurs&level=trin1")
    expected = [offer.id for offer in catalogue.offers if "norddjurs" in offer.areas and offer.level == "trin1"]
    visible = page.locator("#offers .offer:visible")
    await page.wait_for_function(f"document.querySelectorAll('#offers .offer:not([hidden])').length === {len(expected)}")
    assert [re.sub("^offer-", "", await card.get_attribute("id")) for card in await visible.all()] == expected
    assert await page.get_by_label("Kommune").input_value() == "norddjurs"
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    await page.screenshot(path=str(ARTIFACTS / "static-export-phone.png"))
    await context.close()
