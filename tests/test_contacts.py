"""Issue 10: every contact detail in the catalogue stands on a cited source, and `check` shows
per municipality what is confirmed, what comes from a public page and what is still missing."""

import shutil
import subprocess
import sys

import pytest

from bot.catalogue import CatalogueError, load_catalogue
from bot.sources import SOURCES_DIR, load_excerpts, normalise_url, unsourced_details
from tests.conftest import ROOT

OFFERS = (ROOT / "knowledge" / "offers.yaml").read_text(encoding="utf-8")


def test_every_phone_email_web_address_and_street_in_the_catalogue_is_in_its_source(catalogue):
    assert unsourced_details(catalogue) == []


def changed_catalogue(tmp_path, old: str, new: str):
    assert OFFERS.count(old) == 1, old
    for name in ("topics.yaml", "municipalities.yaml"):
        shutil.copy(ROOT / "knowledge" / name, tmp_path / name)
    (tmp_path / "offers.yaml").write_text(OFFERS.replace(old, new), encoding="utf-8")
    return load_catalogue(tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "reported"),
    [
        ('phone: "89 59 10 00"', 'phone: "89 59 10 01"', "norddjurs-underretning: phone '89 59 10 01'"),
        ('phone: "70 11 31 31"', 'phone: "70 11 31 32"', "dk-laegevagten-midtjylland: phone"),
        ("email: trivnu@psykiatrifonden.dk", "email: trivnu@psykiatri.dk", "program-triv-nu: email"),
        ("web: https://www.projektbrus.dk", "web: https://www.brus.dk", "norddjurs-brus: web"),
        ("Den Sociale Døgnvagt på 21 73 60 18", "Den Sociale Døgnvagt på 21 73 60 19", "the number '21 73 60 19'"),
        ("address: Grøndalsvej 1B, Aarhus", "address: Grøndalsvej 3, Aarhus", "aarhus-center-for-trivsel: address"),
    ],
)
def test_a_detail_changed_without_its_source_is_caught(tmp_path, old, new, reported):
    problems = unsourced_details(changed_catalogue(tmp_path, old, new), SOURCES_DIR)
    assert any(reported in problem for problem in problems), problems


def test_a_cited_page_without_an_excerpt_is_caught(tmp_path):
    catalogue = changed_catalogue(
        tmp_path, "    source_url: https://skolestyrken.dk/faq/\n", "    source_url: https://skolestyrken.dk/om/\n"
    )
    problems = unsourced_details(catalogue, SOURCES_DIR)
    assert any("program-skolestyrken: cites https://skolestyrken.dk/om/" in problem for problem in problems), problems


def test_every_cited_page_has_an_excerpt_with_its_address_and_date(catalogue):
    excerpts = load_excerpts()
    for offer in catalogue.offers:
        if offer.source_url is None:
            continue
        excerpt = excerpts[normalise_url(offer.source_url)]
        assert excerpt.date, excerpt.path
        assert '"' not in excerpt.url
        if not offer.field_sources:  # one page for everything: its date is the offer's date
            assert excerpt.date == offer.source_date, offer.id
        for source in (offer.field_sources or {}).values():
            if source.url:
                assert excerpts[normalise_url(source.url)].date == source.date, offer.id


def test_an_offer_from_a_public_page_gives_a_way_in(catalogue):
    for offer in catalogue.offers:
        if offer.has_public_source:
            assert offer.contact.phone or offer.contact.email or offer.contact.web, offer.id


def test_the_out_of_hours_doctor_has_its_number_from_the_brief(catalogue):
    # issue 11: "Lægevagten with its number where the brief has it"
    offer = catalogue.offers_by_id["dk-laegevagten-midtjylland"]
    assert offer.contact.phone == "70 11 31 31"
    assert offer.opening


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '    source_url: https://skolestyrken.dk/faq/\n    source_date: "2026-11-23"\n    verified: public-source\n',
            '    source_url: https://skolestyrken.dk/faq/\n    source_date: "2026-11-23"\n    verified: true\n',
            "verified_on",
        ),
        (
            '    source_url: https://skolestyrken.dk/faq/\n    source_date: "2026-11-23"\n',
            "",
            "source_url and source_date",
        ),
        ('{days: thu, from: "10:00", to: "17:00"}', '{days: tor, from: "10:00", to: "17:00"}', "days 'tor'"),
        ('{days: thu, from: "10:00", to: "17:00"}', '{days: thu, from: "10.00", to: "17:00"}', "time '10.00'"),
        ('{days: thu, from: "10:00", to: "17:00"}', "{days: thu, from: 10:00, to: 17:00}", "opening"),
    ],
)
def test_the_schema_refuses_a_source_or_opening_hours_written_wrong(tmp_path, old, new, message):
    with pytest.raises(CatalogueError, match=message) as raised:
        changed_catalogue(tmp_path, old, new)
    assert "offers.yaml:" in str(raised.value)


def run_check() -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, cwd=ROOT)


def test_check_lists_per_municipality_what_is_confirmed_from_a_page_and_missing():
    result = run_check()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Offers with a phone or web way in from a cited page:" in out
    norddjurs = out[out.index("\nnorddjurs: ") + 1 :]
    norddjurs = norddjurs[: norddjurs.index("\n\n")] if "\n\n" in norddjurs else norddjurs
    assert "with a phone or web way in from a cited page" in norddjurs.splitlines()[0]
    assert "page      2026-11-23  norddjurs-underretning" in norddjurs
    assert "missing               norddjurs-behandlingstilbud" in norddjurs
    # From a public page: oldest first, so the municipality re-checks those first.
    aarhus = out[out.index("\naarhus: ") + 1 :]
    aarhus = aarhus[: aarhus.index("\n\n")]
    dates = [line.split()[1] for line in aarhus.splitlines() if line.startswith("  page ")]
    assert dates and dates == sorted(dates)


def test_check_fails_on_a_detail_without_a_source(tmp_path):
    # `check` only runs the source check on the real knowledge directory: break it in a copy.
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "knowledge", copy / "knowledge")
    shutil.copytree(ROOT / "bot", copy / "bot")
    offers = copy / "knowledge" / "offers.yaml"
    offers.write_text(offers.read_text(encoding="utf-8").replace('"89 59 10 00"', '"89 59 10 09"'), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, cwd=copy)
    assert result.returncode == 1
    assert "norddjurs-underretning: phone '89 59 10 09'" in result.stderr
    assert "Traceback" not in result.stderr
