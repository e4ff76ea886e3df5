"""Turning the guide's decisions into words, with the jinja2 templates in `templates/`.

`templates/messages.<lang>.j2` holds one macro per message; `templates/labels.<lang>.yaml`
holds button labels. Output is Telegram-safe HTML: everything from the catalogue or the
user is escaped (autoescape), and only the templates' own <b>/<i> tags remain.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.catalogue import Catalogue
from bot.reply import Option, Reply
from bot.schema import LANGUAGES, Offer
from bot.text import normalise

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _labels(language: str) -> dict[str, str]:
    return yaml.safe_load((TEMPLATES / f"labels.{language}.yaml").read_text(encoding="utf-8"))


class Renderer:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._modules = {language: self.environment.get_template(f"messages.{language}.j2").module for language in LANGUAGES}
        self._dont_know = {normalise(_labels(language)["dont_know"]) for language in LANGUAGES}
        self._dont_know |= {"ved ikke", "ved det ikke", "aner det ikke", "do not know", "i do not know", "vet inte", "x"}

    # ------------------------------------------------------------------ small pieces
    def label(self, key: str, language: str) -> str:
        labels = _labels(language)
        return labels.get(key) or _labels("da").get(key) or key

    def dont_know_words(self) -> set[str]:
        return self._dont_know

    def option_label(self, question_id: str, option: Any, state) -> str:
        language = state.language
        if question_id == "municipality":
            return self.catalogue.municipalities[option].name.get(language)
        if question_id == "topic":
            return self.catalogue.topics[option].label.get(language)
        if question_id == "age":
            return "18+" if str(option) == "18" else str(option)
        if question_id == "severity":
            scale = "concern" if state.role == "professional" else "severity"
            return self.label(f"{scale}.{option}", language)
        return self.label(f"{question_id}.{option}", language)

    def message(self, name: str, language: str, **context: Any) -> str:
        macro = getattr(self._modules[language], name)
        return _tidy(str(macro(**context)))

    def reply(self, name: str, language: str, state=None, options=(), **context: Any) -> Reply:
        text = self.message(name, language, state=self.state_view(state) if state else None, **context)
        return Reply((text,), _rows(options))

    def state_view(self, state) -> dict[str, Any]:
        municipality = self.catalogue.municipalities.get(state.municipality or "")
        return {
            "role": state.role,
            "age": state.age,
            "municipality": municipality.name.get(state.language) if municipality else None,
            "topics": [
                self.catalogue.topics[topic].label.get(state.language) for topic in state.topics if topic in self.catalogue.topics
            ],
            "severity": state.severity,
        }

    # ------------------------------------------------------------------ offers
    def offer_view(self, offer: Offer, language: str) -> dict[str, Any]:
        contact = offer.contact
        return {
            "id": offer.id,
            "name": offer.name.get(language),
            "summary": offer.summary.get(language),
            "phone": contact.phone,
            "sms": contact.sms,
            "email": contact.email,
            "address": contact.address,
            "web": contact.web,
            "how": contact.how.get(language) if contact.how else None,
            "hours": offer.hours.get(language) if offer.hours else None,
            "next_step": offer.next_step.get(language) if offer.next_step else None,
            "referral": offer.referral,
            "referral_note": offer.referral_note.get(language) if offer.referral_note else None,
            "self_contact": offer.self_contact,
            "anonymous": offer.anonymous,
            "verified": offer.is_verified,
            "pilot": offer.status == "pilot",
            "status_note": offer.status_note.get(language) if offer.status_note else None,
            "open_always": offer.open_always,
            "level": offer.level,
            "via": self.catalogue.offers_by_id[offer.via].name.get(language) if offer.via else None,
        }

    def _footer_lines(self, state) -> dict[str, Any]:
        country = self.catalogue.country_of(state.municipality) or ("se" if state.language == "sv" else "dk")
        line = self.catalogue.help_line(country)
        return {"line_name": line.name.get(state.language), "line_phone": line.contact.phone}

    def result(self, state, offers: list[Offer], out_of_group: str | None, options=()) -> Reply:
        language = state.language
        duty = None
        if state.role == "professional":
            entry = self.catalogue.notification(state.municipality)
            serious = (state.severity or 0) >= 3 or bool({"violence", "concern_child"} & set(state.topics))
            duty = {"serious": serious, "entry": self.offer_view(entry, language) if entry else None}
        text = self.message(
            "result",
            language,
            state=self.state_view(state),
            offers=[self.offer_view(offer, language) for offer in offers],
            out_of_group=out_of_group,
            duty=duty,
            footer=self._footer_lines(state),
            first_page=state.page == 0,
        )
        return Reply((text,), _rows(options), offer_ids=tuple(offer.id for offer in offers))

    def crisis(self, state, crisis, offers: list[Offer], options=()) -> Reply:
        text = self.message(
            "crisis",
            state.language,
            kind=crisis.kind if crisis else None,
            about_other=bool(crisis and crisis.about_other),
            urgent=bool(crisis and crisis.urgent),
            role=state.role,
            offers=[self.offer_view(offer, state.language) for offer in offers],
        )
        return Reply((text,), _rows(options), crisis=True, offer_ids=tuple(offer.id for offer in offers))


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
