"""The shape of the knowledge files, validated on load (pydantic, strict: no silent coercion).

Cross-file rules (unknown topic, unknown municipality, duplicate id, `via` pointing nowhere)
live in `catalogue.py`, which knows all three files at once.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES = ("da", "en", "sv")
Language = Literal["da", "en", "sv"]
Role = Literal["youth", "parent", "professional"]
Level = Literal["akut", "trin1", "trin2", "trin3"]
Status = Literal["active", "pilot", "planned", "proposed"]
Country = Literal["dk", "se"]

# Statuses a family may be sent to; planned and proposed offers are only listed for staff.
RECOMMENDABLE_STATUSES = frozenset({"active", "pilot"})

_PHONE = re.compile(r"^\+?\d[\d ]{1,16}\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_URL = re.compile(r"^https?://[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
_OFFER_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PARTIAL_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
_DAYS = re.compile(rf"^(daily|{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*)$")
# Contact fields that must come from a source: a cited page (source_url), a seed or the brief.
SOURCED_FIELDS = ("phone", "sms", "email", "address", "web", "hours")
PUBLIC_SOURCE = "public-source"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LocalText(Strict):
    """A text in Danish (required) and, where a reader needs it, English and Swedish."""

    da: str = Field(min_length=1)
    en: str | None = None
    sv: str | None = None

    def get(self, language: str) -> str:
        # Swedish readers understand Danish better than English; English readers get Danish last.
        fallbacks = {"sv": ("sv", "da", "en"), "en": ("en", "da")}.get(language, ("da",))
        for candidate in fallbacks:
            text = getattr(self, candidate)
            if text:
                return text
        return self.da


class AgeRange(Strict):
    min: int = Field(ge=0, le=120)
    max: int = Field(ge=0, le=120)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AgeRange:
        if self.min > self.max:
            raise ValueError(f"min age {self.min} is above max age {self.max}")
        return self

    def __contains__(self, age: int) -> bool:
        return self.min <= age <= self.max


class Contact(Strict):
    phone: str | None = None
    sms: str | None = None
    email: str | None = None
    address: str | None = None
    web: str | None = None
    how: LocalText | None = None

    @field_validator("phone", "sms")
    @classmethod
    def _phone_format(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError(f"malformed phone number {value!r} (digits and spaces, e.g. '70 11 31 31')")
        return value

    @field_validator("email")
    @classmethod
    def _email_format(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"malformed e-mail address {value!r}")
        return value

    @field_validator("web")
    @classmethod
    def _url_format(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError(f"malformed URL {value!r} (it must start with https:// or http://)")
        return value

    @model_validator(mode="after")
    def _some_way_in(self) -> Contact:
        if not any((self.phone, self.sms, self.email, self.address, self.web, self.how)):
            raise ValueError("no way to get in touch: give a phone, e-mail, address, web or 'how' in words")
        return self


def _check_partial_date(value: str | None, name: str) -> str | None:
    if value is not None and not _PARTIAL_DATE.match(value):
        raise ValueError(f"{name} {value!r} must be YYYY-MM or YYYY-MM-DD")
    return value


class OpeningTime(Strict):
    """One stretch of opening hours, in the offer's local time (Danish or Swedish).

    `days` is `daily`, a day (`mon`), a range (`mon-fri`) or a list (`mon-wed,fri`). A stretch
    whose `to` is not later than its `from` runs past midnight into the next day
    (`from: "16:00", to: "08:00"`); `to: "24:00"` is midnight at the end of the day.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    days: str
    from_: str = Field(alias="from")
    to: str

    @field_validator("days")
    @classmethod
    def _days_format(cls, value: str) -> str:
        if not _DAYS.match(value):
            raise ValueError(f"days {value!r}: use daily, mon, mon-fri or a list like mon-wed,fri")
        return value

    @field_validator("from_", "to")
    @classmethod
    def _clock_format(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"time {value!r} must be HH:MM (00:00-23:59, or 24:00 for the end of the day)")
        return value

    @property
    def weekdays(self) -> tuple[int, ...]:
        """The days this stretch starts on, 0 = Monday."""
        if self.days == "daily":
            return tuple(range(7))
        found: list[int] = []
        for part in self.days.split(","):
            first, _, last = part.partition("-")
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            found.extend(day % 7 for day in range(start, end + 1 if end >= start else end + 8))
        return tuple(sorted(set(found)))


class FieldSource(Strict):
    """Where one contact field comes from, when it is not the offer's own `source_url`."""

    url: str | None = None
    date: str | None = None
    note: str | None = None

    @field_validator("url")
    @classmethod
    def _url_format(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError(f"malformed URL {value!r}")
        return value

    @field_validator("date")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        return _check_partial_date(value, "date")

    @model_validator(mode="after")
    def _says_something(self) -> FieldSource:
        if self.url is None and self.note is None:
            raise ValueError("give the page (url) or say in a note where the field comes from (e.g. 'seed 001')")
        return self


class Offer(Strict):
    id: str
    name: LocalText
    summary: LocalText
    roles: list[Role] = Field(min_length=1)
    age: AgeRange
    area: str | list[str]
    topics: list[str]
    # Topics this offer must not be shown for (the dialogue-based notification involves the family
    # first, which is wrong when a child may be harmed at home).
    not_for: list[str] = Field(default_factory=list)
    level: Level
    status: Status
    status_note: LocalText | None = None
    referral: bool
    referral_note: LocalText | None = None
    self_contact: bool = False
    anonymous: bool = False
    via: str | None = None
    contact: Contact
    hours: LocalText | None = None
    opening: list[OpeningTime] | None = None
    open_always: bool = False
    next_step: LocalText | None = None
    source: str = Field(min_length=1)
    # The public page the contact details were taken from (issue 10), and the date it gives
    # (or the date the stored copy was read). Its excerpt lives in knowledge/sources/pages/.
    source_url: str | None = None
    source_date: str | None = None
    # Per contact field, where a field comes from somewhere else than source_url.
    field_sources: dict[Literal["phone", "sms", "email", "address", "web", "hours"], FieldSource] | None = None
    verified_on: str | None = None
    # false: nothing checked yet; public-source: taken from a cited public page, not yet
    # confirmed by the municipality (that is verified_on).
    verified: bool | Literal["public-source"] | None = None

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not _OFFER_ID.match(value):
            raise ValueError(f"id {value!r} must be lower-case words joined by '-'")
        return value

    @field_validator("verified_on", "source_date")
    @classmethod
    def _date_format(cls, value: str | None, info) -> str | None:
        return _check_partial_date(value, info.field_name)

    @field_validator("source_url")
    @classmethod
    def _source_url_format(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError(f"malformed source_url {value!r} (it must start with https:// or http://)")
        return value

    @model_validator(mode="after")
    def _verification_is_stated(self) -> Offer:
        if self.verified is True:
            raise ValueError("write verified_on: YYYY-MM when the municipality confirmed it, or verified: public-source")
        if self.verified_on is None and self.verified not in (False, PUBLIC_SOURCE):
            raise ValueError(
                "say when the contact details were checked (verified_on), "
                "set verified: public-source (with source_url) or verified: false"
            )
        if self.verified_on is not None and self.verified is False:
            raise ValueError("verified_on and verified: false contradict each other")
        if self.verified == PUBLIC_SOURCE and (self.source_url is None or self.source_date is None):
            raise ValueError("verified: public-source needs the page it comes from: source_url and source_date")
        if self.source_url is not None and self.source_date is None:
            raise ValueError("source_url needs source_date (the date the page gives, else the date it was read)")
        if self.opening and self.hours is None:
            raise ValueError("opening needs the hours in words too (hours), for people to read")
        if self.opening and self.open_always:
            raise ValueError("open_always and opening contradict each other: give one")
        return self

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(self.area) if isinstance(self.area, list) else (self.area,)

    @property
    def is_verified(self) -> bool:
        """Confirmed by the municipality (not merely found on a public page)."""
        return self.verified_on is not None

    @property
    def has_public_source(self) -> bool:
        return self.verified == PUBLIC_SOURCE

    def source_of(self, field: str) -> FieldSource | None:
        """The cited page (or note) for one contact field: its own, else the offer's page."""
        if self.field_sources and field in self.field_sources:
            return self.field_sources[field]
        if self.source_url is not None:
            return FieldSource(url=self.source_url, date=self.source_date)
        return None

    def sourced_fields(self) -> dict[str, str]:
        """The contact fields that need a source, with their values (hours in Danish)."""
        values = {name: getattr(self.contact, name) for name in SOURCED_FIELDS if name != "hours"}
        values["hours"] = self.hours.da if self.hours else None
        return {name: value for name, value in values.items() if value}

    @property
    def is_national(self) -> bool:
        return any(area in ("dk", "se") for area in self.areas)

    @property
    def recommendable(self) -> bool:
        return self.status in RECOMMENDABLE_STATUSES


class OffersFile(Strict):
    offers: list[Offer] = Field(min_length=1)


class Topic(Strict):
    label: LocalText
    button: bool = False
    level_hint: Level | None = None
    weight: float = Field(default=1.0, gt=0, le=3)  # broad topics ("school") count for less
    words: dict[Language, list[str]]


class TopicsFile(Strict):
    topics: dict[str, Topic] = Field(min_length=1)


class Municipality(Strict):
    name: LocalText
    country: Country
    towns: list[str] = []
    emergency: list[str] = []
    local_offers: bool = True
    # The offer staff use to notify this municipality about a child (underretning); required
    # for a Danish municipality with local offers (checked in catalogue.py).
    notification: str | None = None


class CountryLines(Strict):
    """The national offers the guide itself names for a country, by offer id."""

    emergency_number: str  # 112: heads every crisis answer
    help_line: str  # the children's line: in every crisis answer and under every result card
    parent_line: str | None = None
    crisis_line: str | None = None  # for thoughts of suicide; left out when the crisis is violence or abuse
    emergency: list[str] = Field(min_length=1)  # the emergency route when the municipality is not known
    time_zone: str = "Europe/Copenhagen"  # opening hours of the country's offers are in this zone

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Copenhagen)") from None
        return value


class MunicipalitiesFile(Strict):
    countries: dict[Country, CountryLines]
    # The choice for somebody whose municipality is not in the catalogue: national lines only.
    other_municipality: str
    municipalities: dict[str, Municipality] = Field(min_length=1)
