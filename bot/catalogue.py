"""Loading the knowledge files: YAML with line numbers, schema validation, cross-checks.

Every problem is reported as `file:line: where: what`, so a municipality employee editing
`offers.yaml` is told exactly which line to fix. Loading never half-succeeds: a catalogue
with any error raises `CatalogueError` listing all of them, and the caller keeps the last
good catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.schema import (
    Country,
    CountryLines,
    MunicipalitiesFile,
    Municipality,
    Offer,
    OffersFile,
    Topic,
    TopicsFile,
)

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
OFFERS_FILE = "offers.yaml"
TOPICS_FILE = "topics.yaml"
MUNICIPALITIES_FILE = "municipalities.yaml"
NATIONAL_AREAS = {"dk": "dk", "se": "se"}

Path_ = tuple[str | int, ...]


class CatalogueError(Exception):
    """One or more problems in the knowledge files, each with file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _LineMap:
    """Remembers the line of every key and list item, by its path in the document."""

    def __init__(self, file: Path):
        self.file = file
        self.lines: dict[Path_, int] = {}

    def line_of(self, path: Path_) -> int:
        # The deepest known ancestor: a missing field is reported at its parent's line.
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return 1

    def problem(self, path: Path_, message: str) -> str:
        where = _format_path(path)
        return f"{self.file}:{self.line_of(path)}: {where + ': ' if where else ''}{message}"


def _format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _read_yaml(file: Path) -> tuple[Any, _LineMap]:
    """Parse YAML into plain Python, recording lines; duplicate keys are errors, not overwrites."""
    line_map = _LineMap(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogueError([f"{file}:1: cannot read the file: {error.strerror}"]) from None
    except UnicodeDecodeError:
        raise CatalogueError([f"{file}:1: the file is not UTF-8 text"]) from None
    loader = yaml.SafeLoader(text)
    problems: list[str] = []
    try:
        root = loader.get_single_node()
        if root is None:
            raise CatalogueError([f"{file}:1: the file is empty"])

        def build(node: yaml.Node, path: Path_, key_line: int | None = None) -> Any:
            # A value is reported at its key's line: a block below `hedensted:` starts a line later.
            line_map.lines[path] = key_line or node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                result: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    key = loader.construct_object(key_node)
                    if key in result:
                        problems.append(
                            f"{file}:{key_node.start_mark.line + 1}: {_format_path((*path, key))}: "
                            "duplicate key (it is already given above)"
                        )
                        continue
                    result[key] = build(value_node, (*path, key), key_node.start_mark.line + 1)
                return result
            if isinstance(node, yaml.SequenceNode):
                return [build(item, (*path, index)) for index, item in enumerate(node.value)]
            if node.tag.endswith(":timestamp"):
                return node.value  # dates stay text: "2026-11" and "2026-11-01" alike
            return loader.construct_object(node)

        data = build(root, ())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(error, "problem", None) or str(error)
        raise CatalogueError([f"{file}:{line}: YAML syntax error: {reason}"]) from None
    finally:
        loader.dispose()
    if problems:
        raise CatalogueError(problems)
    return data, line_map


def _validate(model: type[BaseModel], data: Any, line_map: _LineMap) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise CatalogueError([_describe(issue, line_map, data) for issue in error.errors()]) from None


def _describe(issue: ErrorDetails, line_map: _LineMap, data: Any) -> str:
    path = _real_path(data, issue["loc"], keep_last=issue["type"] == "missing")
    kind = issue["type"]
    message = issue["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        message = "unknown field (check the spelling)"
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "literal_error":
        message = f"{message}, got {issue.get('input')!r}"
    if path and isinstance(path[-1], str):
        message = f"field '{path[-1]}': {message}"
    return line_map.problem(path, message)


def _real_path(data: Any, loc: tuple, keep_last: bool) -> Path_:
    """The part of a pydantic error location that exists in the document.

    pydantic puts union branch names ('str', 'list[str]') into `loc`; they are not keys and
    are dropped. A missing field is not in the document either, but its name is kept.
    """
    path: list[str | int] = []
    node = data
    for position, step in enumerate(loc):
        if (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        ):
            node = node[step]
            path.append(step)
        elif keep_last and position == len(loc) - 1:
            path.append(step)
    return tuple(path)


@dataclass
class Catalogue:
    offers: list[Offer]
    topics: dict[str, Topic]
    municipalities: dict[str, Municipality]
    countries: dict[str, CountryLines]  # every country in schema.Country; the ids exist (checked on load)
    other_municipality: str  # a key of `municipalities`
    files: tuple[Path, ...] = ()
    offers_by_id: dict[str, Offer] = field(init=False)
    offers_by_area: dict[str, list[Offer]] = field(init=False)
    town_to_municipality: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.offers_by_id = {offer.id: offer for offer in self.offers}
        self.offers_by_area = {}
        for offer in self.offers:
            for area in offer.areas:
                self.offers_by_area.setdefault(area, []).append(offer)
        self.town_to_municipality = {
            town: municipality_id for municipality_id, municipality in self.municipalities.items() for town in municipality.towns
        }

    def country_of(self, municipality_id: str | None) -> str | None:
        municipality = self.municipalities.get(municipality_id or "")
        return municipality.country if municipality else None

    def button_topics(self) -> list[str]:
        return [topic_id for topic_id, topic in self.topics.items() if topic.button]

    def municipality_buttons(self) -> list[str]:
        """Every municipality, in the order of municipalities.yaml."""
        return list(self.municipalities)

    # The offers and municipalities the guide names itself. They are declared in
    # municipalities.yaml and checked on load, so these never fail on a loaded catalogue.
    def national(self, country: str) -> CountryLines:
        return self.countries[country]

    def emergency_number(self, country: str) -> Offer:
        return self.offers_by_id[self.countries[country].emergency_number]

    def help_line(self, country: str) -> Offer:
        return self.offers_by_id[self.countries[country].help_line]

    def parent_line(self, country: str) -> Offer | None:
        offer_id = self.countries[country].parent_line
        return self.offers_by_id[offer_id] if offer_id else None

    def crisis_line(self, country: str) -> Offer | None:
        offer_id = self.countries[country].crisis_line
        return self.offers_by_id[offer_id] if offer_id else None

    def notification(self, municipality_id: str | None) -> Offer | None:
        """Where staff notify the municipality about a child (underretning); None when unknown."""
        municipality = self.municipalities.get(municipality_id or "")
        return self.offers_by_id[municipality.notification] if municipality and municipality.notification else None

    def time_zone_of(self, offer: Offer) -> ZoneInfo:
        """The zone an offer's opening hours are given in: that of the country it serves."""
        for area in offer.areas:
            country = area if area in self.countries else self.country_of(area)
            if country in self.countries:
                return ZoneInfo(self.countries[country].time_zone)
        return ZoneInfo("Europe/Copenhagen")

    def has_local_offers(self, municipality_id: str | None) -> bool:
        """False for the 'other municipality' and whole-country choices, and for unknown ids."""
        municipality = self.municipalities.get(municipality_id or "")
        return bool(municipality and municipality.local_offers)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and check the knowledge files.

    `path` is the knowledge directory or an offers file; topics and municipalities are read
    from the same directory when they are there, otherwise from the shipped `knowledge/`.
    """
    path = Path(path) if path else KNOWLEDGE_DIR
    offers_file = path / OFFERS_FILE if path.is_dir() else path
    directory = offers_file.parent

    def companion(name: str) -> Path:
        candidate = directory / name
        return candidate if candidate.exists() else KNOWLEDGE_DIR / name

    topics_file, municipalities_file = companion(TOPICS_FILE), companion(MUNICIPALITIES_FILE)
    problems: list[str] = []
    parsed: dict[Path, tuple[Any, _LineMap]] = {}
    validated: dict[Path, Any] = {}
    for file, model in (
        (topics_file, TopicsFile),
        (municipalities_file, MunicipalitiesFile),
        (offers_file, OffersFile),
    ):
        try:
            parsed[file] = _read_yaml(file)
            validated[file] = _validate(model, *parsed[file])
        except CatalogueError as error:
            problems.extend(error.problems)
    if problems:
        raise CatalogueError(problems)

    topics: dict[str, Topic] = validated[topics_file].topics
    places: MunicipalitiesFile = validated[municipalities_file]
    offers: list[Offer] = validated[offers_file].offers
    offer_lines = parsed[offers_file][1]
    problems += _cross_check_offers(offers, topics, places.municipalities, offer_lines)
    problems += _cross_check_municipalities(places, {offer.id: offer for offer in offers}, parsed[municipalities_file][1])
    problems += _cross_check_topics(topics, parsed[topics_file][1])
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        offers,
        topics,
        places.municipalities,
        {country: lines for country, lines in places.countries.items()},
        places.other_municipality,
        (offers_file, topics_file, municipalities_file),
    )


def _cross_check_offers(
    offers: list[Offer], topics: dict[str, Topic], municipalities: dict[str, Municipality], lines: _LineMap
) -> list[str]:
    problems: list[str] = []
    first_line_of_id: dict[str, int] = {}
    known_ids = {offer.id for offer in offers}
    known_areas = set(municipalities) | set(NATIONAL_AREAS)
    for index, offer in enumerate(offers):
        here = ("offers", index)
        if offer.id in first_line_of_id:
            problems.append(
                lines.problem((*here, "id"), f"duplicate id {offer.id!r} (first at line {first_line_of_id[offer.id]})")
            )
        else:
            first_line_of_id[offer.id] = lines.line_of((*here, "id"))
        for field_name in ("topics", "not_for"):
            for position, topic_id in enumerate(getattr(offer, field_name)):
                if topic_id not in topics:
                    problems.append(lines.problem((*here, field_name, position), f"unknown topic {topic_id!r} (see topics.yaml)"))
        for position, area in enumerate(offer.areas):
            if area not in known_areas:
                where = (*here, "area", position) if isinstance(offer.area, list) else (*here, "area")
                problems.append(lines.problem(where, f"unknown municipality {area!r} (see municipalities.yaml, or dk / se)"))
        if offer.via and offer.via not in known_ids:
            problems.append(lines.problem((*here, "via"), f"unknown offer {offer.via!r}"))
    return problems


def _cross_check_municipalities(places: MunicipalitiesFile, offers: dict[str, Offer], lines: _LineMap) -> list[str]:
    """The ids the guide relies on (help line, 112, notification, ...) exist and fit their place."""
    problems: list[str] = []

    def check_offer(where: Path_, offer_id: str, area: str) -> None:
        offer = offers.get(offer_id)
        if offer is None:
            problems.append(lines.problem(where, f"unknown offer {offer_id!r} (see offers.yaml)"))
        elif area not in offer.areas:
            problems.append(lines.problem(where, f"offer {offer_id!r} does not serve {area!r} (its area is {offer.area!r})"))

    for country in get_args(Country):
        lines_here = places.countries.get(country)
        if lines_here is None:
            problems.append(lines.problem(("countries",), f"country {country!r} is missing (its emergency number and help line)"))
            continue
        for name in ("emergency_number", "help_line", "parent_line", "crisis_line"):
            offer_id = getattr(lines_here, name)
            if offer_id is not None:
                check_offer(("countries", country, name), offer_id, country)
        for position, offer_id in enumerate(lines_here.emergency):
            if offer_id not in offers:
                problems.append(lines.problem(("countries", country, "emergency", position), f"unknown offer {offer_id!r}"))
    if places.other_municipality not in places.municipalities:
        problems.append(
            lines.problem(
                ("other_municipality",),
                f"unknown municipality {places.other_municipality!r}: the choice for any municipality not listed below",
            )
        )
    seen_towns: dict[str, str] = {}
    for municipality_id, municipality in places.municipalities.items():
        here = ("municipalities", municipality_id)
        for position, offer_id in enumerate(municipality.emergency):
            if offer_id not in offers:
                problems.append(lines.problem((*here, "emergency", position), f"unknown offer {offer_id!r}"))
        if municipality.notification is not None:
            check_offer((*here, "notification"), municipality.notification, municipality_id)
        elif municipality.country == "dk" and municipality.local_offers:
            # Barnets lov § 133: staff in a Danish municipality are told where to notify it.
            problems.append(
                lines.problem(
                    (*here, "notification"),
                    "field 'notification': required for a Danish municipality (the offer where staff send an underretning)",
                )
            )
        for position, town in enumerate(municipality.towns):
            key = town.casefold()
            if key in seen_towns and seen_towns[key] != municipality_id:
                problems.append(
                    lines.problem(
                        ("municipalities", municipality_id, "towns", position),
                        f"town {town!r} is already listed under {seen_towns[key]!r}",
                    )
                )
            seen_towns[key] = municipality_id
    return problems


def _cross_check_topics(topics: dict[str, Topic], lines: _LineMap) -> list[str]:
    problems = []
    for topic_id, topic in topics.items():
        if not any(topic.words.values()):
            problems.append(lines.problem(("topics", topic_id, "words"), "a topic needs at least one word"))
    return problems
