"""The shape of the knowledge files, validated on load (pydantic, strict: no silent coercion).

Cross-file rules (unknown topic, unknown municipality, duplicate id, `via` pointing nowhere)
live in `catalogue.py`, which knows all three files at once.
"""

from __future__ import annotations

import re
from typing import Literal

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


class Offer(Strict):
    id: str
    name: LocalText
    summary: LocalText
    roles: list[Role] = Field(min_length=1)
    age: AgeRange
    area: str | list[str]
    topics: list[str]
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
    open_always: bool = False
    next_step: LocalText | None = None
    source: str = Field(min_length=1)
    verified_on: str | None = None
    verified: bool | None = None

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not _OFFER_ID.match(value):
            raise ValueError(f"id {value!r} must be lower-case words joined by '-'")
        return value

    @field_validator("verified_on")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is not None and not _PARTIAL_DATE.match(value):
            raise ValueError(f"verified_on {value!r} must be YYYY-MM or YYYY-MM-DD")
        return value

    @model_validator(mode="after")
    def _verification_is_stated(self) -> Offer:
        if self.verified_on is None and self.verified is not False:
            raise ValueError("say when the contact details were checked (verified_on) or set verified: false")
        if self.verified_on is not None and self.verified is False:
            raise ValueError("verified_on and verified: false contradict each other")
        return self

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(self.area) if isinstance(self.area, list) else (self.area,)

    @property
    def is_verified(self) -> bool:
        return self.verified_on is not None

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


class MunicipalitiesFile(Strict):
    countries: dict[Country, CountryLines]
    # The choice for somebody whose municipality is not in the catalogue: national lines only.
    other_municipality: str
    municipalities: dict[str, Municipality] = Field(min_length=1)
