"""Open now or closed now: an offer's opening hours against the clock.

`opening_status(offer, now, language)` gives the short line a card shows under the phone
number ("Åben nu – til kl. 15", "Lukket nu – åbner i morgen kl. 9"), or None when the offer
has no machine-readable hours. Times are the offer's local time (`zone`: the time zone of its
country, `Catalogue.time_zone_of(offer)`), whatever zone `now` comes in.

Known limitation: public holidays are not known here, so on a holiday an office may be shown
as open. The words in `hours` (which name holidays where the page does) stay on the card.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.schema import Offer, OpeningTime

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# How far ahead to look for the next opening: a week covers every weekly pattern.
_LOOKAHEAD_DAYS = 8

_WEEKDAY_NAMES = {
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
}
_WORDS = {
    "da": {
        "always": "Åben nu – døgnet rundt",
        "open": "Åben nu – til {when}",
        "closed": "Lukket nu – åbner {when}",
        "closed_for_now": "Lukket nu",
        "today": "kl. {clock}",
        "tomorrow": "i morgen kl. {clock}",
        "weekday": "{day} kl. {clock}",
    },
    "en": {
        "always": "Open now – around the clock",
        "open": "Open now – until {when}",
        "closed": "Closed now – opens {when}",
        "closed_for_now": "Closed now",
        "today": "{clock}",
        "tomorrow": "tomorrow at {clock}",
        "weekday": "{day} at {clock}",
    },
    "sv": {
        "always": "Öppet nu – dygnet runt",
        "open": "Öppet nu – till {when}",
        "closed": "Stängt nu – öppnar {when}",
        "closed_for_now": "Stängt nu",
        "today": "kl. {clock}",
        "tomorrow": "i morgon kl. {clock}",
        "weekday": "på {day} kl. {clock}",
    },
}


def opening_status(offer: Offer, now: datetime, language: str = "da", zone: ZoneInfo = COPENHAGEN) -> str | None:
    """'Open now – until …' / 'Closed now – opens …' for a card, or None without known hours.

    `now` must carry a time zone (e.g. `datetime.now(timezone.utc)`).
    """
    words = _WORDS.get(language, _WORDS["da"])
    if offer.open_always:
        return words["always"]
    if not offer.opening:
        return None
    local_now = _local(now, zone)
    stretches = _stretches(offer.opening, local_now.date(), zone)
    for start, end in stretches:
        if start <= local_now < end:
            if end - start >= timedelta(days=_LOOKAHEAD_DAYS - 1):
                return words["always"]
            return words["open"].format(when=_when(end, local_now, language))
    upcoming = [start for start, _ in stretches if start > local_now]
    if not upcoming:
        return words["closed_for_now"]
    return words["closed"].format(when=_when(min(upcoming), local_now, language))


def is_closed_now(offer: Offer, now: datetime, zone: ZoneInfo = COPENHAGEN) -> bool:
    """True only when the offer's machine-readable hours say it is closed at `now` (unknown hours: False)."""
    if offer.open_always or not offer.opening:
        return False
    local_now = _local(now, zone)
    return not any(start <= local_now < end for start, end in _stretches(offer.opening, local_now.date(), zone))


def _local(now: datetime, zone: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return now.astimezone(zone)


def _stretches(opening: list[OpeningTime], today: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every opening from yesterday to a week ahead, as local datetimes, joined where they touch."""
    found: list[tuple[datetime, datetime]] = []
    for offset in range(-1, _LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        for entry in opening:
            if day.weekday() not in entry.weekdays:
                continue
            start = _at(day, entry.from_, zone)
            end = _at(day, entry.to, zone)
            if end <= start:  # runs past midnight
                end = _at(day + timedelta(days=1), entry.to, zone)
            found.append((start, end))
    found.sort()
    joined: list[tuple[datetime, datetime]] = []
    for start, end in found:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _at(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    if hours == 24:
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


def _when(moment: datetime, local_now: datetime, language: str) -> str:
    words = _WORDS.get(language, _WORDS["da"])
    clock = _clock(moment, language)
    days_ahead = (moment.date() - local_now.date()).days
    if days_ahead == 0:
        return words["today"].format(clock=clock)
    if days_ahead == 1:
        return words["tomorrow"].format(clock=clock)
    day = _WEEKDAY_NAMES.get(language, _WEEKDAY_NAMES["da"])[moment.weekday()]
    return words["weekday"].format(day=day, clock=clock)


def _clock(moment: datetime, language: str) -> str:
    if language == "en":
        return f"{moment.hour}:{moment.minute:02d}"
    # Danish and Swedish: "kl. 9", "kl. 9.30"
    return f"{moment.hour}" if moment.minute == 0 else f"{moment.hour}.{moment.minute:02d}"
