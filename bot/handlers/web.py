"""Web adapter: the chat at `/` (with `POST /api/chat` behind it), the staff pages at /tilbud/.

Translation only, as for Telegram: a request becomes a flow `Event`, the `Reply` becomes HTML
and buttons. The page works without script too (every button is a real button in a form);
bot/web/app.js makes it a chat that appends answers instead of loading a new page.

Privacy and safety: a random session id in an HttpOnly, SameSite=Strict cookie is the only
thing the browser keeps; the state is stored under a keyed hash of it, in the same store and
with the same expiry as Telegram's; `/slet` deletes it. No message text is logged. Every page
has a Content-Security-Policy without inline script, nosniff and no-referrer; request bodies are
limited, and each session may send only so many messages per little while.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import time
from collections import OrderedDict, deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import tornado.httpserver
import tornado.web

from bot import overview, safety
from bot.flow import ChatState, Conversation, Event
from bot.logs import fields
from bot.needs import NeedCounter, load_records, summary
from bot.reply import Option, Reply
from bot.schema import LANGUAGES
from bot.site import STATIC, Pages, pick_language, ui_texts
from bot.store import ChatKeys, MemoryStore, StateStore

log = logging.getLogger("trivselsguiden.web")

COOKIE = "tg_session"
_SESSION = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_BODY_BYTES = 24 * 1024  # a 5,000-character message of emoji fits; nothing much bigger is read
SERVER_MAX_BODY_BYTES = 64 * 1024  # the server closes the connection beyond this
MAX_TEXT = 5000
MAX_DATA = 64  # button data and commands, as on Telegram
RATE_EVENTS, RATE_SECONDS = 20, 10.0
# New sessions per address per minute: dropping the cookie must not get round the limit above.
# Generous, as a school class behind one address may all open the guide at once.
NEW_SESSIONS_PER_MINUTE = 60
EVENT_KINDS = ("start", "command", "button", "text", "unsupported", "edited")


# ---------------------------------------------------------------------- requests -> events
def event_from(kind: str, value: str, argument: str = "") -> Event | None:
    """An event from what the page sent; typed '/ny' or '/start aarhus' is a command, as on Telegram."""
    if kind not in EVENT_KINDS:
        return None
    value = value[:MAX_TEXT]
    if kind == "text" and value.startswith("/"):
        command, _, rest = value.strip().partition(" ")
        kind, value, argument = ("start", "", rest) if command.lower() == "/start" else ("command", command, rest)
    if kind == "start":
        return Event("start", argument=argument.strip()[:MAX_DATA])
    if kind == "button":
        return Event(kind, value.strip()[:MAX_DATA])
    if kind == "command":  # the words after a command are read (and crisis-checked) like any text
        return Event(kind, value.strip()[:MAX_DATA], argument.strip()[:MAX_TEXT])
    return Event(kind, value, argument[:MAX_TEXT])


# ---------------------------------------------------------------------- replies -> HTML
class _Clean(HTMLParser):
    """Keeps the flow's own tags (<b>, <i>, <a href>), escapes everything else, and turns the
    catalogue's phone numbers into tel: links a phone can call with one tap (and web addresses
    into links)."""

    def __init__(self, phones: re.Pattern | None):
        super().__init__(convert_charrefs=True)
        self.phones = phones
        self.out: list[str] = []
        self.links: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("b", "i", "strong", "em"):
            self.out.append(f"<{tag}>")
        elif tag == "br":
            self.out.append("<br>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            keep = href.startswith(("https://", "http://", "tel:", "mailto:"))
            self.links.append(keep)
            if keep:
                self.out.append(f'<a href="{html.escape(href)}" rel="noopener noreferrer">')

    def handle_endtag(self, tag):
        if tag in ("b", "i", "strong", "em"):
            self.out.append(f"</{tag}>")
        elif tag == "a" and self.links and self.links.pop():
            self.out.append("</a>")

    def handle_data(self, data):
        if any(self.links) or self.phones is None:
            self.out.append(html.escape(data, quote=False))
            return
        position = 0
        for match in self.phones.finditer(data):
            self.out.append(html.escape(data[position : match.start()], quote=False))
            found = match.group(0)
            if found.startswith(("https://", "http://")):
                found = found.rstrip(".,;:)")  # the sentence's full stop is not part of the address
                self.out.append(f'<a href="{html.escape(found)}" rel="noopener noreferrer">{html.escape(found)}</a>')
                self.out.append(html.escape(match.group(0)[len(found) :], quote=False))
            else:
                self.out.append(f'<a href="tel:{found.replace(" ", "")}">{html.escape(found)}</a>')
            position = match.end()
        self.out.append(html.escape(data[position:], quote=False))


def _paragraphs(text: str) -> str:
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return "".join(f"<p>{block.replace(chr(10), '<br>')}</p>" for block in blocks)


class ReplyHtml:
    def __init__(self):
        self._catalogue = None
        self._phones: re.Pattern | None = None

    def _phone_pattern(self, catalogue) -> re.Pattern:
        if self._phones is None or catalogue is not self._catalogue:  # built again after a catalogue reload
            numbers = {"112"}
            for offer in catalogue.offers:
                numbers |= {number for number in (offer.contact.phone, offer.contact.sms) if number}
            alternatives = "|".join(re.escape(number) for number in sorted(numbers, key=len, reverse=True))
            self._phones = re.compile(rf"(?<![\d+])(?:{alternatives})(?!\d)|https?://[^\s<>\"']+")
            self._catalogue = catalogue
        return self._phones

    def message(self, message: str, catalogue) -> str:
        cleaner = _Clean(self._phone_pattern(catalogue))
        cleaner.feed(message)
        cleaner.close()
        return _paragraphs("".join(cleaner.out))

    def render(self, reply: Reply, catalogue, language: str) -> str:
        parts = [self.call_now(reply, catalogue, language)] if reply.crisis else []
        parts += [self.message(message, catalogue) for message in reply.messages]
        return "".join(parts)

    @staticmethod
    def call_now(reply: Reply, catalogue, language: str) -> str:
        """A crisis answer starts with two big call buttons: 112, and the line open now."""
        ui = ui_texts()[language]
        links = [f'<a class="call" href="tel:112">📞 {html.escape(ui["call_112"])}</a>']
        offers = [catalogue.offers_by_id[offer_id] for offer_id in reply.offer_ids if offer_id in catalogue.offers_by_id]
        # The first line open day and night that is not 112 itself (the crisis routes come in order).
        line = next((o for o in offers if o.open_always and (o.contact.phone or "112").replace(" ", "") != "112"), None)
        if line is not None:
            label = ui["call_line"].replace("{name}", line.name.get(language))
            number = line.contact.phone
            links.append(
                f'<a class="call" href="tel:{number.replace(" ", "")}">📞 {html.escape(label)}: {html.escape(number)}</a>'
            )
        return f'<p class="call-now">{"".join(links)}</p>'


def options_of(reply: Reply) -> list[list[dict[str, str]]]:
    return [[{"data": option.data, "label": option.label} for option in row] for row in reply.options]


# ---------------------------------------------------------------------- the chat, without HTTP
class RateLimit:
    """At most `events` per `seconds` per session; remembers a bounded number of sessions."""

    def __init__(self, events: int | None = None, seconds: float | None = None, sessions: int = 50_000, clock=time.monotonic):
        # The module's limits are read here, not frozen as defaults, so a test can lift them.
        self.events, self.seconds = events or RATE_EVENTS, seconds or RATE_SECONDS
        self.sessions, self.clock = sessions, clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        times = self._seen.pop(key, None) or deque()
        while times and now - times[0] > self.seconds:
            times.popleft()
        allowed = len(times) < self.events
        if allowed:
            times.append(now)
        self._seen[key] = times
        while len(self._seen) > self.sessions:
            self._seen.popitem(last=False)
        return allowed


class WebChat:
    def __init__(
        self,
        conversation: Conversation,
        store: StateStore | None = None,
        chat_keys: ChatKeys | None = None,
        needs: NeedCounter | None = None,
        rate: RateLimit | None = None,
        new_sessions: RateLimit | None = None,
    ):
        self.conversation = conversation
        self.store = store if store is not None else MemoryStore()
        self.chat_keys = chat_keys or ChatKeys("trivselsguiden")
        self.needs = needs
        self.rate = rate or RateLimit()
        self.new_sessions = new_sessions or RateLimit(NEW_SESSIONS_PER_MINUTE, 60.0)  # kept in memory only
        self.html = ReplyHtml()

    def key(self, session: str) -> str:
        return self.chat_keys(f"web:{session}")

    def allows(self, session: str, event: Event) -> bool:
        """Within the rate limit - and a message that speaks of danger always gets its answer, however fast it came."""
        if self.rate.allow(self.key(session)):
            return True
        return bool(event.words) and safety.check(event.words).risk != "none"

    def apology(self, state: ChatState) -> Reply:
        renderer = self.conversation.renderer
        options = [Option(data, renderer.label(f"button.{data}", state.language)) for data in ("go", "new", "help")]
        return Reply((renderer.message("error", state.language),), ((*options,),))

    async def current(self, session: str | None, language: str) -> tuple[ChatState, Reply]:
        """What the page shows when it is opened: the current question again, or the start."""
        stored = await self.store.load(self.key(session)) if session else None
        if stored:
            return self.conversation.handle(ChatState.from_dict(stored), Event("button", "go"))
        return self.conversation.handle(ChatState(language=language), Event("start"))

    async def answer(self, session: str, event: Event, language: str) -> tuple[ChatState, Reply]:
        key = self.key(session)
        started = time.perf_counter()
        async with self.store.lock(key):
            stored = await self.store.load(key)
            state = ChatState.from_dict(stored) if stored else ChatState(language=language)
            try:
                state, reply = self.conversation.handle(state, event)
            except Exception as error:  # a bug must not cost the answer: say sorry, point to 112, keep the state
                log.error("web event failed", extra=fields(chat=key, kind=event.kind, error=type(error).__name__))
                return state, self.apology(state)
            if reply.forget:  # the core says "delete this chat": all of it, but a language chosen on the page
                await self.store.delete(key)
                if state.language != language:
                    await self.store.save(key, {"language": state.language})
            else:
                await self.store.save(key, state.to_dict())
        if self.needs is not None:
            await self.needs.record("web", state, reply)
        log.info(
            "web event handled",
            extra=fields(
                chat=key,
                kind=event.kind,
                step=state.step,
                crisis=reply.crisis,
                offers=list(reply.offer_ids)[:3],
                ms=round((time.perf_counter() - started) * 1000, 2),
            ),
        )
        return state, reply


# ---------------------------------------------------------------------- HTTP
def security_headers(handler: tornado.web.RequestHandler, frame_ancestors: str) -> None:
    handler.set_header(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        f"form-action 'self'; base-uri 'none'; frame-ancestors 'self'{(' ' + frame_ancestors) if frame_ancestors else ''}",
    )
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    handler.set_header("Cross-Origin-Opener-Policy", "same-origin")


class _Base(tornado.web.RequestHandler):
    def initialize(self, chat: WebChat, pages_for, frame_ancestors: str, counting: bool) -> None:
        self.chat = chat
        self.pages_for = pages_for  # the Pages of the catalogue served now (it may be reloaded)
        self.frame_ancestors = frame_ancestors
        self.counting = counting

    def set_default_headers(self) -> None:
        security_headers(self, self.settings.get("frame_ancestors", ""))
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:
        # Forms and the JSON endpoint rely on the SameSite=Strict cookie (a post from another
        # site arrives without it and starts an empty conversation) and on JSON's preflight.
        return None

    def language(self) -> str:
        asked = self.get_query_argument("lang", "")
        return asked if asked in LANGUAGES else pick_language(self.request.headers.get("Accept-Language"))

    def session(self) -> str | None:
        value = self.get_cookie(COOKIE) or ""
        return value if _SESSION.match(value) else None

    def session_or_new(self) -> str | None:
        """The session of the cookie, or a new one - None when this address starts too many."""
        session = self.session()
        if session is None and self.chat.new_sessions.allow(f"ip:{self.request.remote_ip}"):
            session = self.start_session()
        return session

    def start_session(self) -> str:
        session = secrets.token_urlsafe(24)  # 32 characters, 192 random bits
        self.set_cookie(COOKIE, session, path="/", httponly=True, samesite="Strict", secure=self.request.protocol == "https")
        return session

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")  # never a traceback


class ChatPage(_Base):
    async def get(self) -> None:
        start = self.get_query_argument("start", "")[:MAX_DATA]
        session = self.session_or_new() if start and not self.session() else None
        if session:  # a link like /?start=hedensted: remember the municipality
            state, reply = await self.chat.answer(session, Event("start", argument=start), self.language())
        else:
            state, reply = await self.chat.current(self.session(), self.language())
        self.show(state, reply)

    async def post(self) -> None:
        """The page without script: every button and the text box post a form here."""
        if len(self.request.body) > MAX_BODY_BYTES:
            raise tornado.web.HTTPError(413)
        form = {key: value for key, value in parse_qsl(self.request.body.decode("utf-8", "replace"))}
        if "button" in form:
            event = event_from("button", form["button"])
        elif "command" in form:
            event = event_from("command", form["command"])
        else:
            event = event_from("text", form.get("text", ""))
        if event is None:  # the kinds above are all known; a guard for the type checker
            raise tornado.web.HTTPError(400)
        session = self.session_or_new()
        if session is None or not self.chat.allows(session, event):
            self.set_status(429)
            state, reply = await self.chat.current(session, self.language())
            return self.show(state, reply, ui_texts()[state.language]["too_fast"])
        state, reply = await self.chat.answer(session, event, self.language())
        if reply.forget and state.language == self.language():  # nothing kept: the browser drops the id too
            self.clear_cookie(COOKIE, path="/")
        self.show(state, reply)

    def show(self, state: ChatState, reply: Reply, status: str = "") -> None:
        catalogue = self.chat.conversation.catalogue
        page = self.pages_for().chat(
            state.language,
            self.chat.html.render(reply, catalogue, state.language),
            options_of(reply),
            reply.crisis,
            MAX_TEXT,
            status=status,
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class ChatApi(_Base):
    async def post(self) -> None:
        language = self.language()
        ui = ui_texts()[language]
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            return self.reply_error(415, ui["failed"])
        if len(self.request.body) > MAX_BODY_BYTES:
            return self.reply_error(413, ui["too_long"])
        try:
            data = json.loads(self.request.body)
        except ValueError:
            return self.reply_error(400, ui["failed"])
        if not isinstance(data, dict):
            return self.reply_error(400, ui["failed"])
        event = event_from(*(str(data.get(name) or "") for name in ("kind", "value", "argument")))
        if event is None:
            return self.reply_error(400, ui["failed"])
        session = self.session_or_new()
        if session is None or not self.chat.allows(session, event):
            return self.reply_error(429, ui["too_fast"])
        state, reply = await self.chat.answer(session, event, language)
        if reply.forget and state.language == self.language():  # nothing kept: the browser drops the id too
            self.clear_cookie(COOKIE, path="/")
        catalogue = self.chat.conversation.catalogue
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(
            json.dumps(
                {
                    "language": state.language,
                    "html": self.chat.html.render(reply, catalogue, state.language),
                    "options": options_of(reply),
                    "crisis": reply.crisis,
                    "offers": list(reply.offer_ids),
                },
                ensure_ascii=False,
            )
        )

    def reply_error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": message}, ensure_ascii=False))


class _StaffPage(_Base):
    def staff_language(self) -> str:
        asked = self.get_query_argument("lang", "")
        return asked if asked in LANGUAGES else "da"

    def _html(self, page: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class OffersPage(_StaffPage):
    def get(self) -> None:
        catalogue = self.chat.conversation.catalogue
        query = {key: values[-1].decode("utf-8", "replace") for key, values in self.request.query_arguments.items()}
        filters = overview.Filters.from_query(query, catalogue)
        self._html(self.pages_for().offers(self.staff_language(), filters, "../"))


class MunicipalityPage(_StaffPage):
    @tornado.web.addslash  # the pages link relatively, from the folder they are in
    def get(self, municipality_id: str) -> None:
        if municipality_id not in overview.local_municipalities(self.chat.conversation.catalogue):
            raise tornado.web.HTTPError(404)
        self._html(self.pages_for().municipality(municipality_id, self.staff_language(), "../../../"))


class NeedsPage(_StaffPage):
    @tornado.web.addslash
    async def get(self) -> None:
        catalogue = self.chat.conversation.catalogue
        rows = summary(await load_records(self.chat.store, catalogue))
        self._html(self.pages_for().needs(rows, self.counting, self.staff_language(), "../../"))


class Static(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        security_headers(self, self.settings.get("frame_ancestors", ""))

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "public, max-age=3600")


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # The path only: a query string could hold a search or a start word, a body never is logged.
    status = handler.get_status()
    path = handler.request.path if handler.request.path.startswith(("/static/", "/tilbud", "/api/", "/healthz")) else "/"
    level = logging.WARNING if status >= 500 else logging.DEBUG
    log.log(level, "web request", extra=fields(method=handler.request.method, path=path[:80], status=status))


def build_web_app(chat: WebChat, frame_ancestors: str = "", counting: bool = True, health=None) -> tornado.web.Application:
    pages: dict[int, Pages] = {}

    def pages_for() -> Pages:
        catalogue = chat.conversation.catalogue
        if id(catalogue) not in pages:  # a reloaded catalogue gets its own pages
            pages.clear()
            pages[id(catalogue)] = Pages(catalogue)
        return pages[id(catalogue)]

    options = {"chat": chat, "pages_for": pages_for, "frame_ancestors": frame_ancestors, "counting": counting}
    routes: list[Any] = [
        (r"/", ChatPage, options),
        (r"/api/chat", ChatApi, options),
        (r"/tilbud", tornado.web.RedirectHandler, {"url": "/tilbud/"}),
        (r"/tilbud/", OffersPage, options),
        (r"/tilbud/behov/?", NeedsPage, options),
        (r"/tilbud/kommune/([a-z0-9-]+)/?", MunicipalityPage, options),
        (r"/static/(app\.css|app\.js)", Static, {"path": str(STATIC)}),
        (r"/favicon\.ico", _NoIcon),  # browsers ask for it; an empty answer saves a 404
    ]
    if health is not None:
        routes.append((r"/healthz", _Health, {"health": health}))
    return tornado.web.Application(
        routes,
        frame_ancestors=frame_ancestors,
        log_function=_log_request,
        compress_response=True,
        default_handler_class=_NotFound,
        default_handler_args={"status_code": 404},
    )


class _Secured(tornado.web.RequestHandler):
    """The security headers on answers outside the pages too: health, the icon, a 404."""

    def set_default_headers(self) -> None:
        security_headers(self, self.settings.get("frame_ancestors", ""))


class _NotFound(_Secured, tornado.web.ErrorHandler):
    pass


class _NoIcon(_Secured):
    def get(self) -> None:
        self.set_header("Cache-Control", "public, max-age=86400")
        self.set_status(204)


class _Health(_Secured):
    def initialize(self, health) -> None:
        self.health = health

    async def get(self) -> None:
        result = await self.health()
        self.set_status(200 if result.get("ok") else 503)
        self.finish(result)


def start_web_server(app: tornado.web.Application, host: str, port: int) -> tornado.httpserver.HTTPServer:
    server = tornado.httpserver.HTTPServer(app, max_body_size=SERVER_MAX_BODY_BYTES, xheaders=True)
    server.listen(port, address=host)
    log.info("web chat listening", extra=fields(host=host, port=port))
    return server
