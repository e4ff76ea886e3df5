"""The catalogue: the real one is complete and valid; every kind of mistake is refused with
file, line and field, through the loader and through `run_bot.py check`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.catalogue import CatalogueError, load_catalogue
from tests.conftest import ROOT, SOURCES

REAL_OFFERS = (ROOT / "knowledge" / "offers.yaml").read_text(encoding="utf-8")


def brief_ids() -> set[str]:
    brief = (SOURCES / "catalogue-brief.md").read_text(encoding="utf-8")
    return set(re.findall(r"\*\*([a-z0-9-]+)\*\*", brief)) | set(re.findall(r"`((?:dk|se)-[a-z0-9-]+)`", brief))


def test_every_offer_in_the_brief_is_in_the_catalogue_with_its_id(catalogue):
    ids = brief_ids() - {"id"}  # "**id**" in the brief's legend is not an offer
    assert len(ids) > 50
    assert not ids - set(catalogue.offers_by_id)


def test_no_unverified_offer_shows_a_phone_number(catalogue):
    # national-lines.md: an unconfirmed number is not shown until a municipality confirms it
    # or a cited public page states it (issue 10; tests/test_contacts.py checks the page).
    for offer in catalogue.offers:
        if not offer.is_verified and not offer.has_public_source:
            assert offer.contact.phone is None, offer.id


def test_every_phone_number_in_the_catalogue_has_a_source():
    sources = (SOURCES / "national-lines.md").read_text() + (SOURCES / "catalogue-brief.md").read_text()
    sources += "".join(page.read_text() for page in (SOURCES / "pages").glob("*.md"))  # cited pages (issue 10)
    digits_in_sources = re.sub(r"\D", "", sources)
    for number in re.findall(r"\b\d{2} \d{2} \d{2} \d{2}\b|\b116 111\b|\b112\b", REAL_OFFERS):
        assert re.sub(r"\D", "", number) in digits_in_sources, number


def write_offers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "offers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


BROKEN = {
    "yaml syntax": ("    level: trin2\n    status: active", "    level: trin2\n   status: [active", "YAML syntax error"),
    "unknown field": (
        "    referral: false\n    self_contact: true",
        "    referral: false\n    self_contakt: true",
        "self_contakt",
    ),
    # A missing field is reported where its offer starts.
    "missing required field": (
        "    level: trin2\n    status: active\n",
        "    status: active\n",
        "level",
        "- id: aarhus-center-for-trivsel",
    ),
    "wrong type": ("age: {min: 5, max: 17}", "age: {min: five, max: 17}", "min"),
    "min above max": ("age: {min: 5, max: 17}", "age: {min: 18, max: 17}", "min age 18 is above max age 17"),
    "unknown topic": ("topics: [anxiety, sadness, eating", "topics: [anxiety, sadnes, eating", "unknown topic 'sadnes'"),
    "unknown municipality": (
        "    area: aarhus\n    topics: [anxiety",
        "    area: aarhuus\n    topics: [anxiety",
        "unknown municipality 'aarhuus'",
    ),
    "malformed phone": ('phone: "70 11 31 31"', 'phone: "70-11-31-31 ring"', "malformed phone"),
    "malformed url": ("web: https://ventilen.dk", "web: ventilen dot dk", "malformed URL"),
    "unknown status": ("    level: trin2\n    status: active", "    level: trin2\n    status: maybe", "status"),
    "unknown level": ("    level: trin2\n    status: active", "    level: trin9\n    status: active", "level"),
}


@pytest.mark.parametrize("kind", BROKEN)
def test_each_kind_of_mistake_is_refused_with_file_line_and_field(tmp_path, kind):
    original, broken, expected, *anchor = BROKEN[kind]
    assert original in REAL_OFFERS
    text = REAL_OFFERS.replace(original, broken, 1)
    path = write_offers(tmp_path, text)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(path)
    problems = raised.value.problems
    assert any(expected in problem for problem in problems), problems
    first = problems[0]
    assert first.startswith(f"{path}:")
    reported_line = int(first.split(":")[1])
    expected_line = line_of(text, anchor[0] if anchor else broken.strip().split("\n")[-1].strip())
    assert abs(reported_line - expected_line) <= 1, first


def test_duplicate_id_names_both_lines(tmp_path):
    text = REAL_OFFERS.replace("  - id: aarhus-cft-basisteam", "  - id: aarhus-center-for-trivsel", 1)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(write_offers(tmp_path, text))
    (problem,) = [p for p in raised.value.problems if "duplicate id" in p]
    assert f":{line_of(text, '  - id: aarhus-center-for-trivsel') + 0}" not in problem.split(" ")[0]  # the second one
    assert f"first at line {line_of(text, '  - id: aarhus-center-for-trivsel')}" in problem


def test_malformed_email_is_refused(tmp_path):
    text = REAL_OFFERS.replace("      web: https://cyberhus.dk", "      email: not-an-address", 1)
    with pytest.raises(CatalogueError, match="malformed e-mail"):
        load_catalogue(write_offers(tmp_path, text))


def test_contact_without_any_way_in_is_refused(tmp_path):
    text = REAL_OFFERS.replace("    contact:\n      web: https://ventilen.dk\n", "    contact: {}\n", 1)
    with pytest.raises(CatalogueError, match="no way to get in touch"):
        load_catalogue(write_offers(tmp_path, text))


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *arguments], capture_output=True, text=True, cwd=ROOT)


def test_check_prints_a_summary_and_the_unverified_offers():
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "OK: " in result.stdout
    assert "norddjurs" in result.stdout and "proposed" in result.stdout
    assert "hedensted-behandlingstilbud" in result.stdout  # unverified: the municipality must fill it in


def test_check_fails_without_a_traceback_on_a_broken_catalogue(tmp_path):
    path = write_offers(tmp_path, REAL_OFFERS.replace("status: active", "status: unknown", 1))
    result = run_cli("check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}:" in result.stderr and "status" in result.stderr
