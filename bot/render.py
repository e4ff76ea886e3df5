"""Turning the guide's decisions into words, with one jinja2 template set in `templates/`.

`templates/messages.j2` holds one macro per message, written once for every language;
`templates/words.<lang>.yaml` holds what is said (message words and button labels) and
`templates/lines.yaml` which line sits at the foot of every screen. Output is Telegram-safe
HTML: everything from the catalogue or the user is escaped (autoescape), and only the words'
own <b>/<i> tags remain.

What a screen looks like (issue 11): every screen the flow answers with (`reply`, `result`)
ends with a short footer – a line open now and 112, a parent line for parents and staff, the
Swedish lines in Sweden. A result shows the best offer as one card of at most 8 lines; the
alternatives come one line each behind "Flere tilbud". An abbreviation (PPR, SSP, …) is
explained the first time it appears on a screen.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.catalogue import Catalogue
from bot.hours import is_closed_now, opening_status
from bot.reply import Option, Reply
from bot.schema import LANGUAGES, LocalText, Offer
from bot.text import normalise

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MORE_OFFERS = 5  # alternatives listed behind "Flere tilbud"
ROLES = ("youth", "parent", "professional")

# Which language a reader gets when an offer text is missing in theirs: a Swedish reader is
# better served by English than by Danish offer texts (issue 11).
_FALLBACKS = {"da": ("da", "en", "sv"), "en": ("en", "da", "sv"), "sv": ("sv", "en", "da")}
_REFERRAL = re.compile(r"henvisning|referral|remiss", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅÄÖ0-9])")


@cache
def _words(language: str) -> dict[str, Any]:
    words = yaml.safe_load((TEMPLATES / f"words.{language}.yaml").read_text(encoding="utf-8"))
    return _trusted(words)


def _trusted(value: Any) -> Any:
    """Our own words may carry <b>/<i>: mark them safe, so autoescape leaves them alone."""
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    return Markup(value) if isinstance(value, str) else value


@cache
def _lines() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / "lines.yaml").read_text(encoding="utf-8"))


def local(text: LocalText | None, language: str) -> str | None:
    """A catalogue text in the reader's language, falling back as `_FALLBACKS` says."""
    if text is None:
        return None
    for candidate in _FALLBACKS.get(language, ("da",)):
        value = getattr(text, candidate)
        if value:
            return value
    return text.da


def first_sentence(text: str | None) -> str | None:
    """One line for a card: the first sentence of a longer text."""
    if not text:
        return text
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _first_clause(text: str | None) -> str | None:
    """For a one-line list: 'Gennem skolen – spørg læreren. Mere…' -> 'Gennem skolen.'"""
    sentence = first_sentence(text)
    if not sentence:
        return sentence
    clause = sentence.split(" – ")[0].rstrip(".")
    return f"{clause}."


def _role_of(who: Any) -> str | None:
    if isinstance(who, str) or who is None:
        return who
    if isinstance(who, dict):
        return who.get("role")
    return getattr(who, "role", None)


def template_environment(folder: Path = TEMPLATES) -> Environment:
    """The templates' settings, shared by the chat's words and the web pages: escaping on, no silent gaps."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Renderer:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.clock = lambda: datetime.now(UTC)
        self.environment = template_environment()
        template = self.environment.get_template("messages.j2")
        self._modules = {
            language: template.make_module({"w": _words(language), "say": self._sayer(language), "fill": _fill})
            for language in LANGUAGES
        }
        self._footer_lines = self._check_lines(catalogue)
        self._emergency_numbers = {catalogue.emergency_number(country).id for country in catalogue.countries}
        # Where staff notify the municipality: not an offer a family contacts, so no "no referral" line.
        self._notification_entries = {m.notification for m in catalogue.municipalities.values() if m.notification}
        self._dont_know = {normalise(_words(language)["labels"]["dont_know"]) for language in LANGUAGES}
        self._dont_know |= {"ved ikke", "ved det ikke", "aner det ikke", "do not know", "i do not know", "vet inte", "x"}

    # ------------------------------------------------------------------ small pieces
    def words(self, language: str) -> dict[str, Any]:
        return _words(language if language in LANGUAGES else "da")

    def label(self, key: str, language: str) -> str:
        labels = self.words(language)["labels"]
        return str(labels.get(key) or _words("da")["labels"].get(key) or key)

    def dont_know_words(self) -> set[str]:
        return self._dont_know

    def option_label(self, question_id: str, option: Any, state) -> str:
        language = state.language
        if question_id == "municipality":
            return local(self.catalogue.municipalities[option].name, language) or option
        if question_id == "topic":
            return local(self.catalogue.topics[option].label, language) or option
        if question_id == "age":
            return "18+" if str(option) == "18" else str(option)
        if question_id == "severity":
            scale = "concern" if state.role == "professional" else "severity"
            return self.label(f"{scale}.{option}", language)
        return self.label(f"{question_id}.{option}", language)

    def message(self, name: str, language: str, **context: Any) -> str:
        """One message without footer (for pieces put before another reply, like the welcome)."""
        macro = getattr(self._modules[language if language in LANGUAGES else "da"], name)
        return self._explain(_tidy(str(macro(**context))), language)

    def reply(self, name: str, language: str, state=None, options=(), **context: Any) -> Reply:
        """A whole screen: the message, the footer, and the buttons."""
        text = self.message(name, language, state=self.state_view(state) if state else None, **context)
        return Reply((self._with_footer(text, state, language),), _rows(options))

    def footer(self, state=None, language: str | None = None) -> str:
        """The last line of every screen: a line open now for who is writing, and 112."""
        language = state.language if state is not None else (language or "da")
        return self.message("footer", language, line=self._footer_line(state, language))

    def state_view(self, state) -> dict[str, Any]:
        municipality = self.catalogue.municipalities.get(state.municipality or "")
        return {
            "role": state.role,
            "age": state.age,
            "municipality": local(municipality.name, state.language) if municipality else None,
            "topics": [
                local(self.catalogue.topics[topic].label, state.language)
                for topic in state.topics
                if topic in self.catalogue.topics
            ],
            "severity": state.severity,
        }

    # ------------------------------------------------------------------ offers
    def offer_view(self, offer: Offer, language: str, municipality: str | None = None) -> dict[str, Any]:
        """What a card may say about an offer: compact, in the reader's language."""
        contact = offer.contact
        phone, web, email = contact.phone, contact.web, contact.email
        # `verified: public-source` (branch feat/contacts): taken from a cited public page.
        public_source = bool(getattr(offer, "has_public_source", False))
        how = first_sentence(local(contact.how, language)) if not (phone or web or email) else None
        return {
            "id": offer.id,
            "name": local(offer.name, language),
            "summary": first_sentence(local(offer.summary, language)),
            "phone": phone,
            "sms": contact.sms,
            "email": email,
            "web": web,
            "address": contact.address if self._address_fits(offer, municipality) else None,
            # In words only where there is no number, web or e-mail to give.
            "how": how,
            # The card says "no referral" once: not again when the words already say it.
            "how_says_referral": bool(how and _REFERRAL.search(how)),
            "how_short": _first_clause(local(contact.how, language)),
            "hours": local(offer.hours, language),
            "open_status": self.open_status(offer, language),
            "next_step": local(offer.next_step, language),
            "referral": offer.referral,
            "referral_note": local(offer.referral_note, language),
            "self_contact": offer.self_contact,
            "anonymous": offer.anonymous,
            "verified": offer.is_verified,
            "public_source": public_source,
            "national": offer.is_national,
            "unverified_local": not offer.is_verified and not offer.is_national and not public_source,
            "acute": offer.level == "akut",
            "emergency_number": offer.id in self._emergency_numbers,
            "notification": offer.id in self._notification_entries,
            "pilot": offer.status == "pilot",
            "status_note": local(offer.status_note, language),
            "open_always": offer.open_always,
            "level": offer.level,
            "via": local(self.catalogue.offers_by_id[offer.via].name, language) if offer.via else None,
        }

    def open_status(self, offer: Offer, language: str) -> str | None:
        """'Åben nu – til kl. 15' / 'Lukket nu – åbner i morgen kl. 9', beside the phone number.

        From `bot.hours` in the offer's own time zone; None for offers without machine-readable
        hours (the card shows the `hours` words instead). `self.clock` gives "now" (tests fix it).
        """
        return opening_status(offer, self.clock(), language, self.catalogue.time_zone_of(offer))

    def result(self, state, offers: list[Offer], out_of_group: str | None, options=()) -> Reply:
        """Page 0: the best offer as one card. Later pages: the alternatives, one line each.

        `offers` is the whole ranked list (best first); `state.page` says which view.
        """
        if state.page > 0:
            return self.more_offers(state, offers[1:], options)
        language = state.language
        duty = None
        if state.role == "professional":
            entry = self.catalogue.notification(state.municipality)
            serious = (state.severity or 0) >= 3 or bool({"violence", "concern_child"} & set(state.topics))
            duty = {"serious": serious, "entry": self.offer_view(entry, language, state.municipality) if entry else None}
        best = offers[:1]
        text = self.message(
            "result",
            language,
            state=self.state_view(state),
            offers=[self.offer_view(offer, language, state.municipality) for offer in best],
            out_of_group=out_of_group,
            duty=duty,
            known=self._known_municipalities(language),
            footer_line=self._footer_line(state, language),
            role=state.role,
        )
        return Reply((self._with_footer(text, state, language),), _rows(options), offer_ids=tuple(o.id for o in best))

    def more_offers(self, state, offers: list[Offer], options=()) -> Reply:
        """The alternatives behind "Flere tilbud": one line each (name and the best way in)."""
        shown = offers[:MORE_OFFERS]
        text = self.message(
            "more_offers",
            state.language,
            state=self.state_view(state),
            offers=[self.offer_view(offer, state.language, state.municipality) for offer in shown],
            role=state.role,
        )
        return Reply((self._with_footer(text, state, state.language),), _rows(options), offer_ids=tuple(o.id for o in shown))

    def crisis(self, state, crisis, offers: list[Offer], options=()) -> Reply:
        offers = self._open_first(offers)
        text = self.message(
            "crisis",
            state.language,
            kind=crisis.kind if crisis else None,
            about_other=bool(crisis and crisis.about_other),
            urgent=bool(crisis and crisis.urgent),
            role=state.role,
            offers=[self.offer_view(offer, state.language, state.municipality) for offer in offers],
        )
        return Reply((text,), _rows(options), crisis=True, offer_ids=tuple(offer.id for offer in offers))

    def _open_first(self, offers: list[Offer]) -> list[Offer]:
        """A line that is closed right now goes below the ones a person can reach now (stable otherwise)."""
        now = self.clock()
        return sorted(offers, key=lambda offer: is_closed_now(offer, now, self.catalogue.time_zone_of(offer)))

    # ------------------------------------------------------------------ inside
    def _sayer(self, language: str):
        words = _words(language)

        def say(key: str, who: Any = None) -> Markup:
            """The words for `key`, in the variant for who is writing (a role, or a state view)."""
            entry: Any = words
            for part in key.split("."):
                entry = entry[part]
            if isinstance(entry, dict):
                role = _role_of(who)
                entry = entry.get(role) or entry.get("other") or entry.get("parent")
            return entry

        return say

    def _footer_line(self, state, language: str) -> dict[str, Any]:
        """The line under every screen: the children's line, or for parents and staff a parent line."""
        country = (self.catalogue.country_of(state.municipality) if state is not None else None) or (
            "se" if language == "sv" else "dk"
        )
        adult = state is not None and state.role in ("parent", "professional")
        help_line = self.catalogue.help_line(country)
        # A young person past the children's line's age (BørneTelefonen and Bris end at 17) gets a line for young adults.
        past_help_line = state is not None and state.role == "youth" and (state.age or 0) > help_line.age.max
        group = "adults" if adult else "young_adults" if past_help_line else None
        line = self._footer_lines[group].get(country) if group else None
        if line is None:
            parent_line = self.catalogue.parent_line(country) if adult else None
            offer = parent_line if parent_line and parent_line.contact.phone else help_line
            line = {"kind": "call" if offer.contact.phone else "web"}
        else:
            offer = self.catalogue.offers_by_id[line["offer"]]
        name = self.words(language)["footer"].get(line.get("name", "")) or local(offer.name, language)
        return {
            "kind": line["kind"],
            "name": name,
            "phone": line.get("phone") or offer.contact.phone,
            "web": (offer.contact.web or "").removeprefix("https://").removeprefix("www."),
        }

    def _known_municipalities(self, language: str) -> str:
        """'Aarhus, Hedensted og Norddjurs': the municipalities with local offers, from the catalogue."""
        names = [
            local(municipality.name, language) or ""
            for municipality in self.catalogue.municipalities.values()
            if municipality.local_offers
        ]
        short = [re.sub(r"\s+(Kommune|Municipality|kommun)$", "", name) for name in names]
        if len(short) < 2:
            return "".join(short)
        return f"{', '.join(short[:-1])} {self.words(language)['and']} {short[-1]}"

    def _with_footer(self, text: str, state, language: str) -> str:
        return Markup(f"{text}\n\n{self.footer(state, language)}")

    def _check_lines(self, catalogue: Catalogue) -> dict[str, Any]:
        """Every footer line points to an offer in the catalogue, and its number is sourced there."""
        lines = _lines()
        for group, country, line in ((g, c, line) for g, by_country in lines.items() for c, line in by_country.items()):
            where = f"templates/lines.yaml: {group}.{country}"
            offer = catalogue.offers_by_id.get(line["offer"])
            if offer is None:
                raise ValueError(f"{where} names offer {line['offer']!r}, which is not in the catalogue")
            phone = line.get("phone")
            if phone and not _in_contact(phone, offer):
                raise ValueError(f"{where}: {phone} is not in {offer.id}'s contact details")
            if line["kind"] in ("call", "sms") and not (phone or offer.contact.phone):
                raise ValueError(f"{where}: {offer.id} has no phone number")
        return lines

    def _address_fits(self, offer: Offer, municipality: str | None) -> bool:
        """A street address only for someone who lives there (no Aarhus address for Grenaa)."""
        address = offer.contact.address
        if not address or not municipality or municipality not in self.catalogue.municipalities:
            return False
        words = set(re.findall(r"\w+", address.casefold()))

        def named(municipality_id: str) -> bool:
            known = self.catalogue.municipalities[municipality_id]
            names = [*known.towns, known.name.da.split()[0]]
            return any(set(re.findall(r"\w+", name.casefold())) <= words for name in names)

        if named(municipality):
            return True
        elsewhere = any(named(other) for other in self.catalogue.municipalities if other != municipality)
        return not elsewhere and municipality in offer.areas

    def _explain(self, text: str, language: str) -> str:
        """Explain each abbreviation the first time it appears on a screen, in a note at the end."""
        glossary = self.words(language).get("glossary") or {}
        notes = [
            note
            for short, note in glossary.items()
            if re.search(rf"(?<![\w§]){re.escape(short)}(?!\w)", text) and str(note) not in text
        ]
        if not notes:
            return text
        return Markup(text) + Markup("\n\n") + Markup("\n").join(Markup("<i>{}</i>").format(note) for note in notes)


def _in_contact(phone: str, offer: Offer) -> bool:
    digits = re.sub(r"\D", "", phone)
    texts = [offer.contact.phone or "", offer.contact.sms or ""]
    how = offer.contact.how
    texts += [value for value in (how.da, how.en, how.sv) if value] if how else []
    return any(digits in re.sub(r"\D", "", text) for text in texts)


def _fill(text: str, **gaps: Any) -> Markup:
    """Fill {name}-style gaps in our own words; the filled-in values are escaped."""
    return Markup(text).format(**{key: escape(value) if value is not None else "" for key, value in gaps.items()})


def _rows(options) -> tuple[tuple[Option, ...], ...]:
    return tuple(tuple(row) for row in options if row)


def _tidy(text: str) -> str:
    """Templates are indented for reading; messages are not. Keep paragraphs, drop the rest."""
    lines = [line.strip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return Markup("\n".join(tidy).strip())
