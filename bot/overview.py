"""The staff overview of the whole tilbudsvifte: what /tilbud and the static export show.

    Filters          the filters of /tilbud, read from a query string (unknown values ignored)
    offer_card()     one offer as staff see it: what, for whom, contact, source, verification
    step_model()     per municipality and topic: the offers at trin 1, 2 and 3 - gaps stand out
    to_verify()      per area: offers whose contact details are not yet verified

The same filters run in the browser (bot/web/app.js, on the cards' data- attributes), so the
static pages filter too; the server applies them as well, so the pages work without script.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.catalogue import Catalogue
from bot.schema import Offer

LEVELS = ("trin1", "trin2", "trin3", "akut")
STEP_LEVELS = ("trin1", "trin2", "trin3")
ROLES = ("youth", "parent", "professional")
STATUSES = ("active", "pilot", "planned", "proposed")
NATIONAL_AREAS = ("dk", "se")


@dataclass(frozen=True)
class Filters:
    municipality: str = ""
    level: str = ""
    topic: str = ""
    age: int | None = None
    role: str = ""
    status: str = ""
    no_referral: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str], catalogue: Catalogue) -> Filters:
        def pick(name: str, allowed) -> str:
            value = (query.get(name) or "").strip()
            return value if value in allowed else ""

        age_text = (query.get("age") or "").strip()
        age = int(age_text) if age_text.isdigit() and int(age_text) <= 120 else None
        return cls(
            municipality=pick("municipality", (*catalogue.municipalities, *NATIONAL_AREAS)),
            level=pick("level", LEVELS),
            topic=pick("topic", catalogue.topics),
            age=age,
            role=pick("role", ROLES),
            status=pick("status", STATUSES),
            no_referral=(query.get("no_referral") or "") in ("1", "on", "true"),
            q=(query.get("q") or "")[:100],
        )

    def matches(self, offer: Offer, search_text: str) -> bool:
        return (
            (not self.municipality or self.municipality in offer.areas)
            and (not self.level or offer.level == self.level)
            and (not self.topic or self.topic in offer.topics)
            and (self.age is None or self.age in offer.age)
            and (not self.role or self.role in offer.roles)
            and (not self.status or offer.status == self.status)
            and (not self.no_referral or not offer.referral)
            and all(word in search_text for word in search_fold(self.q).split())
        )


_NOT_WORD = re.compile(r"[^\w]+")


def search_fold(text: str) -> str:
    """Lower case, accents off, words only - the same folding app.js does in the browser."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join(_NOT_WORD.sub(" ", "".join(char for char in decomposed if not unicodedata.combining(char))).split())


def search_text(offer: Offer, catalogue: Catalogue) -> str:
    """What the search box looks in: names, summaries and topic labels in every language."""
    parts = [offer.id]
    for text in (offer.name, offer.summary, offer.hours, offer.contact.how, offer.next_step):
        if text is not None:
            parts += [value for value in (text.da, text.en, text.sv) if value]
    for topic_id in offer.topics:
        label = catalogue.topics[topic_id].label
        parts += [value for value in (label.da, label.en, label.sv) if value]
    return search_fold(" ".join(parts))


def offer_card(offer: Offer, catalogue: Catalogue, language: str) -> dict:
    contact = offer.contact
    return {
        "id": offer.id,
        "name": offer.name.get(language),
        "summary": offer.summary.get(language),
        "areas": list(offer.areas),
        "area_names": [_area_name(area, catalogue, language) for area in offer.areas],
        "level": offer.level,
        "topics": list(offer.topics),
        "topic_labels": [catalogue.topics[topic].label.get(language) for topic in offer.topics],
        "roles": list(offer.roles),
        "age_min": offer.age.min,
        "age_max": offer.age.max,
        "status": offer.status,
        "status_note": offer.status_note.get(language) if offer.status_note else None,
        "not_yet": offer.status in ("planned", "proposed"),
        "referral": offer.referral,
        "referral_note": offer.referral_note.get(language) if offer.referral_note else None,
        "phone": contact.phone,
        "sms": contact.sms,
        "email": contact.email,
        "address": contact.address,
        "web": contact.web,
        "how": contact.how.get(language) if contact.how else None,
        "hours": offer.hours.get(language) if offer.hours else None,
        "source": offer.source,
        "source_is_link": offer.source.startswith(("https://", "http://")),
        "verified": offer.is_verified,
        "verified_on": offer.verified_on,
        # Found on a cited public page: not confirmed by the municipality, but not unknown either.
        "public_source": offer.has_public_source,
        "source_url": offer.source_url,
        "source_date": offer.source_date,
        "search": search_text(offer, catalogue),
    }


def _area_name(area: str, catalogue: Catalogue, language: str) -> str:
    municipality = catalogue.municipalities.get(area)
    return municipality.name.get(language) if municipality else area.upper()


def step_model(catalogue: Catalogue, municipality_id: str) -> list[dict]:
    """One row per topic: the municipality's own offers at trin 1, 2 and 3, and beside them the
    national ones of its country. A gap is a level with no local offer a family can be sent to
    (planned and proposed offers are listed but fill no gap)."""
    country = catalogue.country_of(municipality_id)
    local = [offer for offer in catalogue.offers if municipality_id in offer.areas]
    national = [offer for offer in catalogue.offers if country in offer.areas]
    rows = []
    for topic_id in catalogue.topics:
        cells: dict[str, dict[str, Any]] = {}
        for level in STEP_LEVELS:
            offers = [offer for offer in local if offer.level == level and topic_id in offer.topics]
            cells[level] = {
                "offers": offers,
                "national": [offer for offer in national if offer.level == level and topic_id in offer.topics],
                "gap": not any(offer.recommendable for offer in offers),
            }
        rows.append({"topic": topic_id, "cells": cells, "gaps": sum(cell["gap"] for cell in cells.values())})
    return rows


def to_verify(catalogue: Catalogue) -> dict[str, list[Offer]]:
    """Area -> the offers there whose contact details are not verified, in catalogue order."""
    areas: dict[str, list[Offer]] = {}
    for offer in catalogue.offers:
        if not offer.is_verified:
            for area in offer.areas:
                areas.setdefault(area, []).append(offer)
    return areas


def local_municipalities(catalogue: Catalogue) -> list[str]:
    """Municipalities that have offers of their own (the ones with a step model page)."""
    return [
        municipality_id
        for municipality_id, municipality in catalogue.municipalities.items()
        if municipality.local_offers and municipality_id in catalogue.offers_by_area
    ]
