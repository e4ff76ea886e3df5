"""Command line: run the guide, check the catalogue, route JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

from bot.catalogue import Catalogue, CatalogueError, load_catalogue
from bot.guide import Guide
from bot.routing import Need
from bot.sources import SOURCES_DIR, unsourced_details

ROLES = ("youth", "parent", "professional")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_bot.py", description="Trivselsguiden")
    commands = parser.add_subparsers(dest="command")
    check_parser = commands.add_parser("check", help="validate the catalogue and print a summary")
    check_parser.add_argument("path", nargs="?", help="knowledge directory or offers.yaml (default: knowledge/)")
    route_parser = commands.add_parser("route", help="route messages given as JSON lines on stdin")
    route_parser.add_argument("--jsonl", action="store_true", required=True, help="read and write JSON lines")
    route_parser.add_argument("--catalogue", help="knowledge directory or offers.yaml")
    commands.add_parser("console", help="the guide in the terminal, even when a token is set")
    arguments = parser.parse_args(argv)

    if arguments.command == "check":
        return check(arguments.path, sys.stdout, sys.stderr)
    if arguments.command == "route":
        return _with_catalogue(arguments.catalogue, lambda guide: route_jsonl(guide, sys.stdin, sys.stdout))
    from bot.app import run  # imported late: check and route need no chat machinery

    return run(force_console=arguments.command == "console")


def _with_catalogue(path: str | None, action) -> int:
    try:
        guide = Guide(load_catalogue(path))
    except CatalogueError as error:
        print("The catalogue has errors:\n" + str(error), file=sys.stderr)
        return 2
    return action(guide)


def check(path: str | None, out: IO[str], err: IO[str]) -> int:
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as error:
        print(f"{len(error.problems)} error(s) in the catalogue:", file=err)
        for problem in error.problems:
            print(f"  {problem}", file=err)
        return 1
    print(summarise(catalogue), file=out)
    # Only the real knowledge directory has its source excerpts beside it.
    if path is None or Path(path).resolve() in (SOURCES_DIR.parent, SOURCES_DIR.parent / "offers.yaml"):
        problems = unsourced_details(catalogue)
        if problems:
            print(f"{len(problems)} contact detail(s) without a source (see knowledge/sources/pages/README.md):", file=err)
            for problem in problems:
                print(f"  {problem}", file=err)
            return 1
    return 0


def summarise(catalogue: Catalogue) -> str:
    lines = [
        f"OK: {len(catalogue.offers)} offers, {len(catalogue.topics)} topics, {len(catalogue.municipalities)} municipalities"
    ]
    lines.append("\nOffers per area and status:")
    per_area: dict[str, Counter] = {}
    for offer in catalogue.offers:
        for area in offer.areas:
            per_area.setdefault(area, Counter())[offer.status] += 1
    for area in sorted(per_area):
        counts = ", ".join(f"{status} {count}" for status, count in sorted(per_area[area].items()))
        lines.append(f"  {area:<12} {sum(per_area[area].values()):>3}  ({counts})")
    lines.extend(contact_sources_report(catalogue))
    return "\n".join(lines)


def contact_sources_report(catalogue: Catalogue) -> list[str]:
    """Per municipality (and the national lines): what is confirmed, what comes from a cited
    public page (oldest first: re-check those first), and what is still missing - the list a
    municipality works through."""
    areas: dict[str, list] = {}
    for offer in catalogue.offers:
        for area in offer.areas:
            areas.setdefault(area, []).append(offer)
    order = [area for area in catalogue.municipalities if area in areas] + sorted(set(areas) - set(catalogue.municipalities))
    missing_total = sum(1 for offer in catalogue.offers if offer.verified is False)
    cited_total = sum(1 for offer in catalogue.offers if _way_in_from_cited_page(offer))
    lines = [
        "",
        f"Contact details: {sum(o.is_verified for o in catalogue.offers)} confirmed by the municipality, "
        f"{sum(o.has_public_source for o in catalogue.offers)} from a public page, {missing_total} still missing.",
        f"Offers with a phone or web way in from a cited page: {cited_total} of {len(catalogue.offers)}.",
    ]
    for area in order:
        offers = areas[area]
        confirmed = [offer for offer in offers if offer.is_verified]
        public = sorted((offer for offer in offers if offer.has_public_source), key=lambda offer: offer.source_date or "")
        missing = [offer for offer in offers if offer.verified is False]
        cited = sum(1 for offer in offers if _way_in_from_cited_page(offer))
        lines.append("")
        lines.append(
            f"{area}: {len(offers)} offers - {len(confirmed)} confirmed, {len(public)} from a public page, "
            f"{len(missing)} still missing; {cited} with a phone or web way in from a cited page"
        )
        for offer in confirmed:
            lines.append(f"  confirmed {offer.verified_on:<10}  {offer.id:<40} source: {offer.source}")
        for offer in public:
            lines.append(f"  page      {offer.source_date:<10}  {offer.id:<40} {offer.source_url}")
        for offer in missing:
            lines.append(f"  missing               {offer.id:<40} source: {offer.source}")
    return lines


def _way_in_from_cited_page(offer) -> bool:
    """A phone or web address whose source is a page (not only the brief's words)."""
    for field in ("phone", "web"):
        source = offer.source_of(field)
        if getattr(offer.contact, field) and source is not None and source.url is not None:
            return True
    return False


def route_jsonl(guide: Guide, lines: IO[str], out: IO[str]) -> int:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        case_id: Any = None
        try:
            case = json.loads(line)
            if not isinstance(case, dict):
                raise ValueError("each line must be a JSON object")
            case_id = case.get("id")
            result = route_one(guide, case)
        except (ValueError, TypeError) as error:
            result = {"id": case_id, "error": f"line {number}: {error}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def route_one(guide: Guide, case: dict[str, Any]) -> dict[str, Any]:
    text = case.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    role = _optional(case, "role", str)
    municipality = _optional(case, "municipality", str)
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if municipality is not None and municipality not in guide.catalogue.municipalities:
        raise ValueError(f"unknown municipality {municipality!r} (one of {', '.join(guide.catalogue.municipalities)})")
    age = _optional(case, "age", int)
    severity = _optional(case, "severity", int)
    if severity is not None and not 1 <= severity <= 4:
        raise ValueError("'severity' must be 1-4")
    if age is not None and not 0 <= age <= 120:
        raise ValueError("'age' must be 0-120")
    language = _optional(case, "lang", str) or "da"
    need = Need(
        role=role,
        age=age,
        municipality=municipality,
        language=language if language in ("da", "en", "sv") else "da",
        severity=severity,
    )
    assessment = guide.assess(text, need)
    return {
        "id": case.get("id"),
        "risk": assessment.crisis.risk,
        "crisis": assessment.crisis.is_crisis,
        "crisis_kind": assessment.crisis.kind,
        "crisis_about_other": assessment.crisis.about_other,
        "topics": assessment.understanding.ranked_topics(),
        "level": assessment.level,
        "offers": assessment.offer_ids[:5],
    }


def _optional(case: dict[str, Any], key: str, kind: type) -> Any:
    value = case.get(key)
    if value is None:
        return None
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise ValueError(f"{key!r} must be {'a whole number' if kind is int else 'text'} or null")
    return value


if __name__ == "__main__":
    raise SystemExit(main())
