"""The staff overview (/tilbud/), the step model per municipality, and the static export."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot import overview
from bot.cli import main
from bot.site import export
from tests.running_web import running_web, web_settings


class Cards(HTMLParser):
    """The offer cards of a page: id -> their data- attributes, and which are hidden."""

    def __init__(self, page: str):
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article" and "offer" in (attributes.get("class") or "").split():
            self.cards[attributes["id"].removeprefix("offer-")] = attributes


def card_html(page: str, offer_id: str) -> str:
    start = page.index(f'id="offer-{offer_id}"')
    return page[start : page.index("</article>", start)]


@pytest.fixture
async def staff(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        yield client


async def test_every_offer_is_listed_with_source_and_verification(staff, catalogue):
    page = (await staff.get("/tilbud/")).text
    cards = Cards(page).cards
    assert list(cards) == [offer.id for offer in catalogue.offers]
    assert f"{len(catalogue.offers)} tilbud vist" in page
    for offer in catalogue.offers:
        card = card_html(page, offer.id)
        assert html.escape(offer.source, quote=False).replace("'", "&#39;") in card
        if offer.is_verified:
            assert offer.verified_on in card and "Ikke bekræftet –" not in card
        elif offer.has_public_source:  # from a cited public page: said so, with the page and its date
            assert "Ikke bekræftet –" not in card and "Fra en offentlig hjemmeside" in card
            assert f'href="{html.escape(offer.source_url or "")}"' in card and str(offer.source_date) in card
        else:
            assert "Ikke bekræftet –" in card, f"{offer.id} is not marked unverified"
        if offer.status == "planned":
            assert "PLANLAGT" in card
        if offer.status == "proposed":
            assert "FORESLÅET" in card


async def test_the_to_verify_list_names_every_unverified_offer(staff, catalogue):
    page = (await staff.get("/tilbud/")).text
    to_verify = page[page.index('class="to-verify"') :]
    unverified = [offer for offer in catalogue.offers if not offer.is_verified]
    assert unverified
    for offer in unverified:
        assert f'href="#offer-{offer.id}"' in to_verify


@pytest.mark.parametrize(
    "query, keep",
    [
        ("municipality=hedensted", lambda offer: "hedensted" in offer.areas),
        ("municipality=dk", lambda offer: "dk" in offer.areas),
        ("level=trin2", lambda offer: offer.level == "trin2"),
        ("topic=anxiety", lambda offer: "anxiety" in offer.topics),
        ("age=16", lambda offer: offer.age.min <= 16 <= offer.age.max),
        ("role=professional", lambda offer: "professional" in offer.roles),
        ("status=planned", lambda offer: offer.status == "planned"),
        ("no_referral=1", lambda offer: not offer.referral),
        (
            "municipality=aarhus&level=trin2&no_referral=1",
            lambda o: "aarhus" in o.areas and o.level == "trin2" and not o.referral,
        ),
        ("q=skolevægring", lambda offer: "Skolevægring" in offer.name.da or "school_absence" in offer.topics),
        ("municipality=atlantis&level=trin9", lambda offer: True),  # unknown values are ignored
    ],
)
async def test_filters_show_exactly_the_matching_offers(staff, catalogue, query, keep):
    page = (await staff.get(f"/tilbud/?{query}")).text
    shown = list(Cards(page).cards)
    expected = [offer.id for offer in catalogue.offers if keep(offer)]
    if query.startswith("q="):
        assert shown and set(shown) <= {offer.id for offer in catalogue.offers}
        assert all(
            "skolevaegring" in overview.search_text(catalogue.offers_by_id[i], catalogue).replace("æ", "ae")
            or "skolevægring" in overview.search_text(catalogue.offers_by_id[i], catalogue)
            for i in shown
        )
    else:
        assert shown == expected
    assert f"{len(shown)} tilbud vist" in page


async def test_the_step_model_shows_each_topic_and_its_gaps(staff, catalogue):
    page = (await staff.get("/tilbud/kommune/hedensted/")).text
    rows = re.findall(r"<tr( class=\"has-gap\")?>\s*<th scope=\"row\">([^<]+)</th>", page)
    assert [label for _, label in rows] == [topic.label.da for topic in catalogue.topics.values()]
    model = overview.step_model(catalogue, "hedensted")
    for (gap_class, _), row in zip(rows, model, strict=True):
        assert bool(gap_class) == bool(row["gaps"])
    assert page.count("— mangler lokalt") == sum(row["gaps"] for row in model) > 0
    # Trin 3 is the GP's referral, national: listed beside the gap, never hiding it.
    psychosis = next(row for row in model if row["topic"] == "psychosis")["cells"]["trin3"]
    assert psychosis["gap"] and [offer.id for offer in psychosis["national"]] == ["dk-egen-laege"]
    local = [offer for offer in catalogue.offers if "hedensted" in offer.areas and offer.level in ("trin1", "trin2", "trin3")]
    for offer in local:
        assert f"#offer-{offer.id}" in page
    redirected = await staff.get("/tilbud/kommune/hedensted", follow_redirects=False)
    assert redirected.status_code == 301


def test_a_planned_offer_does_not_fill_a_gap(catalogue):
    planned = next(offer for offer in catalogue.offers if offer.status in ("planned", "proposed") and offer.level != "akut")
    area = next(area for area in planned.areas if area in catalogue.municipalities)
    row = next(row for row in overview.step_model(catalogue, area) if row["topic"] == planned.topics[0])
    cell = row["cells"][planned.level]
    assert planned in cell["offers"]
    assert cell["gap"] == (not any(offer.recommendable for offer in cell["offers"]))


def test_site_writes_the_same_pages_as_static_files(tmp_path, catalogue, monkeypatch, capsys):
    monkeypatch.setenv("TRIVSEL_STATE_PATH", str(tmp_path / "state.sqlite3"))
    assert main(["site", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    index = (out / "tilbud" / "index.html").read_text(encoding="utf-8")
    assert list(Cards(index).cards) == [offer.id for offer in catalogue.offers]
    for municipality_id in overview.local_municipalities(catalogue):
        assert (out / "tilbud" / "kommune" / municipality_id / "index.html").exists()
    assert (out / "tilbud" / "behov" / "index.html").exists()
    # Every relative link and asset of every page points at a file of the export.
    for page in out.rglob("*.html"):
        for link in re.findall(r'(?:href|src)="(?![a-z]+:)([^"#?]+)[^"]*"', page.read_text(encoding="utf-8")):
            target = (page.parent / link).resolve()
            target = target / "index.html" if link.endswith("/") else target
            assert target.exists(), f"{page.relative_to(out)} links to missing {link}"


def test_site_in_english(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRIVSEL_STATE_PATH", str(tmp_path / "state.sqlite3"))
    assert main(["site", str(tmp_path / "en"), "--language", "en"]) == 0
    page = (tmp_path / "en" / "tilbud" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Not verified –" in page and "Overview of offers" in page


def test_export_without_counts_says_so(tmp_path, catalogue):
    written = export(catalogue, tmp_path, [], counting=False)
    needs = (tmp_path / "tilbud" / "behov" / "index.html").read_text(encoding="utf-8")
    assert "Optællingen er slået fra" in needs and "<table" not in needs
    assert Path(tmp_path / "static" / "app.js") in written
