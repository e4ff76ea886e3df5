"""Anonymous counts of where people asked for help, and whether a local offer fitted.

For every result the guide gives (on every channel) one counter goes up. Its key holds only
coded fields - day, channel, municipality id, role, age band, topic ids, level, and whether a
local offer (not just a national line) fitted - each checked against a closed list, so no text,
chat or session id, or exact age can ever get in. Counts live in the state store (SQLite or
Redis) and are only ever shown summed up, and only when at least `MIN_SHOWN`.

    NeedCounter.record()   one call per adapter after the flow answered
    summary()              the table behind /tilbud/behov: topic x municipality, counts >= 5
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from bot.logs import fields
from bot.reply import Reply

log = logging.getLogger("trivselsguiden.needs")

MIN_SHOWN = 5  # a count below this is never shown: small numbers can point to a person
CHANNELS = ("telegram", "web", "console")
ROLES = ("youth", "parent", "professional")
LEVELS = ("trin1", "trin2", "trin3", "akut")
UNKNOWN = "-"
_AGE_BANDS = ((0, 5, "0-5"), (6, 9, "6-9"), (10, 12, "10-12"), (13, 15, "13-15"), (16, 17, "16-17"))


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    if age >= 18:
        return "18+"
    return next(band for low, high, band in _AGE_BANDS if low <= age <= high)


@dataclass(frozen=True)
class NeedRecord:
    day: str  # YYYY-MM-DD
    channel: str
    municipality: str
    role: str
    age_band: str
    topics: tuple[str, ...]
    level: str
    local_fit: bool

    def key(self) -> str:
        return json.dumps({**asdict(self), "topics": list(self.topics)}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_key(cls, key: str, catalogue) -> NeedRecord | None:
        """Read a stored key back, dropping anything that is not one of the known codes."""
        try:
            data = json.loads(key)
            record = cls(**{**data, "topics": tuple(data["topics"])})
        except (ValueError, TypeError, KeyError):
            return None
        return record if record == _coded(record, catalogue) else None


def _coded(record: NeedRecord, catalogue) -> NeedRecord:
    """The record with every field forced onto its closed list (unknown values become '-')."""
    day = record.day if _is_day(record.day) else UNKNOWN
    return NeedRecord(
        day=day,
        channel=record.channel if record.channel in CHANNELS else UNKNOWN,
        municipality=record.municipality if record.municipality in catalogue.municipalities else UNKNOWN,
        role=record.role if record.role in ROLES else UNKNOWN,
        age_band=record.age_band if record.age_band in {band for *_, band in _AGE_BANDS} | {"18+", UNKNOWN} else UNKNOWN,
        topics=tuple(sorted(topic for topic in set(record.topics) if topic in catalogue.topics)),
        level=record.level if record.level in LEVELS else UNKNOWN,
        local_fit=record.local_fit is True,
    )


def _is_day(value: str) -> bool:
    try:
        return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d") == value
    except (TypeError, ValueError):
        return False


def is_result(state, reply: Reply) -> bool:
    """A first page of offers (not a crisis answer, not 'more offers')."""
    return bool(reply.offer_ids) and not reply.crisis and getattr(state, "step", None) == "result" and not state.page


def record_for(conversation, channel: str, state, reply: Reply, day: str) -> NeedRecord:
    catalogue = conversation.catalogue
    need = state.need()
    level = conversation.guide.assess("", need, limit=None).level  # the level routing says the need calls for
    shown = [catalogue.offers_by_id[offer_id] for offer_id in reply.offer_ids if offer_id in catalogue.offers_by_id]
    record = NeedRecord(
        day=day,
        channel=channel,
        municipality=need.municipality or UNKNOWN,
        role=need.role or UNKNOWN,
        age_band=age_band(need.age),
        topics=tuple(need.topics),
        level=level or UNKNOWN,
        local_fit=any(not offer.is_national for offer in shown),
    )
    return _coded(record, catalogue)


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class NeedCounter:
    """Counts results into the store; switched off, it does nothing. It never fails an answer."""

    def __init__(self, store, conversation, enabled: bool = True, today: Callable[[], str] = _today):
        self.store = store
        self.conversation = conversation
        self.enabled = enabled
        self.today = today

    async def record(self, channel: str, state, reply: Reply) -> None:
        if not self.enabled or not is_result(state, reply):
            return
        try:
            await self.store.count_need(record_for(self.conversation, channel, state, reply, self.today()).key())
        except Exception as error:  # a count is never worth a lost answer
            log.warning("could not count a result", extra=fields(error=type(error).__name__))


async def load_records(store, catalogue) -> list[tuple[NeedRecord, int]]:
    counts = await store.need_counts()
    records = [(NeedRecord.from_key(key, catalogue), count) for key, count in counts.items()]
    return [(record, count) for record, count in records if record is not None and count > 0]


@dataclass(frozen=True)
class NeedRow:
    municipality: str
    topic: str
    results: int  # results given for this topic in this municipality
    without_local: int | None  # of those, how many had no fitting local offer; None when below MIN_SHOWN


def summary(records: list[tuple[NeedRecord, int]]) -> list[NeedRow]:
    """Results per municipality and topic (a result about two topics counts for both), summed
    over days, channels, roles and ages. Rows under MIN_SHOWN are left out entirely; a
    'without local offer' figure under MIN_SHOWN is hidden. Most unmet first."""
    results: dict[tuple[str, str], int] = defaultdict(int)
    unmet: dict[tuple[str, str], int] = defaultdict(int)
    for record, count in records:
        for topic in record.topics or (UNKNOWN,):
            results[record.municipality, topic] += count
            if not record.local_fit:
                unmet[record.municipality, topic] += count
    rows = [
        NeedRow(municipality, topic, total, unmet[municipality, topic] if unmet[municipality, topic] >= MIN_SHOWN else None)
        for (municipality, topic), total in results.items()
        if total >= MIN_SHOWN
    ]
    return sorted(rows, key=lambda row: (-(row.without_local or 0), -row.results, row.municipality, row.topic))
