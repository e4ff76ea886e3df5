"""The guidance core in one call: safety first, then understanding, then routing.

`Guide.assess` is what every channel and the `route --jsonl` command use, so a message gets
the same crisis verdict and the same offers wherever it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot import safety
from bot.catalogue import Catalogue, load_catalogue
from bot.routing import Need, Ranked, crisis_offers, level_for, rank
from bot.schema import Offer
from bot.understand import Understander, Understanding


@dataclass(frozen=True)
class Assessment:
    crisis: safety.CrisisCheck
    understanding: Understanding
    need: Need
    ranked: list[Ranked]
    crisis_routes: list[Offer]
    level: str | None

    @property
    def offer_ids(self) -> list[str]:
        if self.crisis.is_crisis:
            return [offer.id for offer in self.crisis_routes][:5]
        return [item.offer.id for item in self.ranked]


class Guide:
    def __init__(self, catalogue: Catalogue | None = None):
        self.catalogue = catalogue or load_catalogue()
        self.understander = Understander(self.catalogue)

    def assess(self, text: str, known: Need | None = None, limit: int | None = 5) -> Assessment:
        """Check, understand and route one message; what is already known wins over hints."""
        known = known or Need()
        crisis = safety.check(text)  # always first, on every free text
        understanding = self.understander.read(text, known.language, known.role)
        need = self.merge(known, understanding, self.catalogue)
        ranked = rank(self.catalogue, need, limit)
        routes = crisis_offers(self.catalogue, need, crisis.kind) if crisis.is_crisis else []
        return Assessment(crisis, understanding, need, ranked, routes, level_for(need, self.catalogue, ranked, crisis.is_crisis))

    @staticmethod
    def merge(known: Need, understanding: Understanding, catalogue: Catalogue | None = None) -> Need:
        """The one rule for known answers and new words, used by every channel and by `route`:
        who, how old and where stay as answered (words only fill what is missing); the topics
        the words name are added to those known; a severity the words name ("hun hører stemmer")
        is the newest word on it and wins; what a message says once (help tried, a school child,
        a pregnancy, an offer named) stays said."""
        topics = dict(known.topics)
        for topic, strength in understanding.topics.items():
            topics[topic] = topics.get(topic, 0.0) + strength
        municipality = known.municipality or understanding.municipality
        named = understanding.offers_named
        if catalogue and understanding.notify and (notification := catalogue.notification(municipality)):
            named = (*named, notification.id)  # "hvornår skal jeg underrette?" names the municipality's way
        return replace(
            known,
            role=known.role or understanding.role,
            age=known.age if known.age is not None else understanding.age,
            municipality=municipality,
            severity=understanding.severity or known.severity,
            topics=topics,
            offers_named=tuple(dict.fromkeys((*known.offers_named, *named))),
            offers_tried=tuple(dict.fromkeys((*known.offers_tried, *understanding.offers_tried))),
            urgent_now=understanding.urgent_now or known.urgent_now,
            in_school=understanding.in_school or known.in_school,
            expecting=understanding.expecting or known.expecting,
        )
