"""The learned topic signal and the routing cases: the shipped model is trained on what is in the
repository now, reads messages the same way scikit-learn does, stays quiet on words that are no
topic, and the cases cover the catalogue. Cross-validated figures: `python -m bench.bench_routing --cv`."""

import pytest

from bot.cli import route_one
from bot.guide import Guide
from bot.routing import Need
from bot.topic_model import MODEL_PATH, TopicModel, features
from bot.topic_train import fingerprint, fit, training_examples
from tests.conftest import load_cases

EXTRA_CASES = load_cases("routing-extra.yaml")


def test_the_shipped_model_is_trained_on_the_current_phrases_and_cases(catalogue):
    model = TopicModel.load()
    assert model is not None, f"{MODEL_PATH} is missing: run .venv/bin/python -m bot.topic_train"
    assert model.fingerprint == fingerprint(training_examples(catalogue)), (
        "topics.yaml, the offers' topics or the routing cases changed since the model was trained: "
        "run .venv/bin/python -m bot.topic_train and commit knowledge/topic-model.json"
    )
    assert set(model.topics) <= set(catalogue.topics)


def test_the_model_reads_a_message_as_scikit_learn_does(catalogue, monkeypatch):
    """The shipped numbers, read without scikit-learn, give the fitted pipeline's probabilities."""
    sklearn = pytest.importorskip("sklearn")
    assert sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot import topic_train

    examples = training_examples(catalogue)[::3]  # a smaller fit is enough to compare the arithmetic
    monkeypatch.setattr(topic_train, "_SMALLEST_WEIGHT", 0.0)  # keep every weight: compare like with like
    vectorizer = TfidfVectorizer(analyzer=lambda found: found, sublinear_tf=True, lowercase=False, min_df=topic_train.MIN_DF)
    matrix = vectorizer.fit_transform([features(example.text, example.language) for example in examples])
    classifier = LogisticRegression(C=topic_train.C, max_iter=3000, class_weight="balanced")
    classifier.fit(matrix, [example.topic for example in examples], sample_weight=[example.weight for example in examples])
    ours = fit(examples)
    for text in ("min søn vil ikke i skole og har ondt i maven", "my dad drinks", "jag är ledsen", "mobbet på snap"):
        expected = classifier.predict_proba(vectorizer.transform([features(text)]))[0]
        got = ours.probabilities(text)
        for topic, probability in zip(classifier.classes_, expected, strict=True):
            assert got[topic] == pytest.approx(probability, abs=0.005), (text, topic)


NO_TOPIC = ["hej", "tak", "Tilbage", "5", "fjorten", "ved ikke", "jeg ved det ikke", "I don't know", "vet inte", "Grenaa"]
NO_TOPIC += ["jeg er 14", "ok", "🙂", "", "forælder", "hjælp", "help", "hvad er det her", "Hedensted", "start forfra"]
# Answers to the guide's questions, typed: they must not skip the topic question.
NO_TOPIC += [
    "hun er 4",
    "han er 12 år",
    "hun er 4 år gammel",
    "vi bor i Grenaa",
    "jeg er far til en pige på 7",
    "min søn er 9 år",
]
NO_TOPIC += ["jeg er 15 og bor i Aarhus", "vi bor i Juelsminde"]


@pytest.mark.parametrize("text", NO_TOPIC)
def test_no_topic_for_words_that_are_no_topic(guide, text):
    assert guide.understander.read(text).topics == {}


def test_the_learned_signal_finds_what_the_topic_words_miss(guide):
    words_only = Guide(guide.catalogue)
    words_only.understander.topic_model = None
    for text, topics in [
        ("har det bare så dårligt for tiden idk", {"sadness"}),
        ("jeg skal tjekke at døren er låst 20 gange før jeg kan gå", {"anxiety", "ocd"}),
    ]:
        assert not words_only.understander.read(text).topics.keys() & topics
        assert guide.understander.read(text).topics.keys() & topics, text


def test_the_cases_cover_every_offer_in_the_catalogue(catalogue):
    named = {offer_id for case in EXTRA_CASES for key in ("offers_any", "forbid") for offer_id in case["expect"].get(key, [])}
    assert not named - set(catalogue.offers_by_id), "cases name offers that do not exist"
    assert not set(catalogue.offers_by_id) - named, "offers no case routes to or forbids"
    assert len(EXTRA_CASES) >= 150


# Issue 11's wrong first answers and issue 8's examples: the expected help must come FIRST.
FIRST_ANSWER_CASES = ["x-26", "x-27", "x-28", "x-29", "x-30", "x-31", "x-32", "x-33", "x-34", "x-35", "x-37", "x-39", "x-40"]


@pytest.mark.parametrize("case_id", FIRST_ANSWER_CASES)
def test_issue_cases_get_the_right_first_answer(guide, case_id):
    case = next(case for case in EXTRA_CASES if case["id"] == case_id)
    result = route_one(guide, {key: case.get(key) for key in ("id", "text", "role", "age", "municipality", "lang", "severity")})
    assert result["offers"][:1] and result["offers"][0] in case["expect"]["offers_any"], (case["text"], result["offers"])
    assert not set(result["offers"]) & set(case["expect"].get("forbid", [])), result["offers"]


def test_an_anxious_nine_year_old_sees_no_suicide_line(guide, catalogue):
    for municipality in ("aarhus", "hedensted", "norddjurs", "anden-dk", None):
        for role in ("youth", "parent"):
            offers = guide.assess(
                "hun er så angst og bange hele tiden", Need(role=role, age=9, municipality=municipality)
            ).offer_ids
            assert "dk-livslinien" not in offers[:3], (municipality, role, offers)


def test_without_a_model_the_topic_words_still_route(catalogue):
    guide = Guide(catalogue)
    guide.understander.topic_model = None
    assert guide.assess("min søn bliver mobbet", Need(role="parent", age=10, municipality="aarhus")).offer_ids


@pytest.mark.parametrize(
    ("municipality", "role", "first"),
    [("norddjurs", "youth", "norddjurs-behandlingstilbud"), ("hedensted", "parent", "hedensted-behandlingstilbud")],
)
def test_with_no_topic_known_a_broad_first_door_comes_first(catalogue, municipality, role, first):
    """Nothing said about what it is about (the topic question skipped): not the alcohol clinic."""
    from bot.routing import rank

    assert rank(catalogue, Need(role=role, age=12, municipality=municipality))[0].offer.id == first


@pytest.mark.parametrize("content", ["", "{not json", '{"topics": ["anxiety"]}', "[1, 2, 3]"])
def test_a_missing_or_broken_model_file_leaves_the_topic_words_working(tmp_path, catalogue, content):
    path = tmp_path / "topic-model.json"
    if content:
        path.write_text(content, encoding="utf-8")
    assert TopicModel.load(path) is None
    guide = Guide(catalogue)
    guide.understander.topic_model = TopicModel.load(path)
    assert "bullying" in guide.assess("min søn bliver mobbet", Need(role="parent", age=10)).understanding.topics


@pytest.mark.parametrize(
    ("text", "about_an_adult"),
    [
        ("min far drikker hele tiden", True),
        ("min mor og hendes nye mand skændes og han drikker", True),
        ("far kommer fuld hjem og råber", True),
        ("my dad drinks too much", True),
        ("jeg drikker for meget og min mor er sur", False),
        ("min søn drikker for meget", False),
        ("jeg ryger hash og min far ved det ikke", False),
    ],
)
def test_an_adults_drinking_is_not_the_young_persons_own(guide, text, about_an_adult):
    topics = guide.understander.read(text).topics
    parental, own = topics.get("parental_substance", 0.0), topics.get("substance_own", 0.0)
    assert (parental > own) == about_an_adult, topics
    if about_an_adult:
        assert own == 0, topics


def test_the_blind_cases_held_aside_are_a_fixed_stratified_share_never_trained_on():
    from bot.topic_train import BLIND_ASIDE_SHARE, BLIND_FILES, blind_split, repository_cases

    tune, aside = blind_split()
    assert tune and aside and not {case["id"] for case in tune} & {case["id"] for case in aside}
    assert blind_split() == (tune, aside)  # a fixed seed: the same split on every machine
    for path in BLIND_FILES:  # each file split on its own, by municipality
        if not path.exists():
            continue
        file_tune, file_aside = blind_split(path)
        for municipality in {case.get("municipality") for case in file_tune + file_aside}:
            count = sum(case.get("municipality") == municipality for case in file_tune + file_aside)
            held = sum(case.get("municipality") == municipality for case in file_aside)
            assert held == round(BLIND_ASIDE_SHARE * count)
    assert len({case["id"] for case in tune + aside}) == len(tune + aside), "case ids must be unique across the files"
    trained = {case["id"] for case in repository_cases()}
    assert not trained & {case["id"] for case in aside}


@pytest.mark.parametrize(
    ("text", "role", "topic", "not_topic"),
    [
        ("jeg drikker nok for meget om aftenen, min datter kan lugte det", "parent", "parental_substance", "substance_own"),
        ("jeg har selv et problem med piller og alkohol, min søn har set meget", "parent", "parental_substance", "substance_own"),
        ("min søn drikker sig fuld hver weekend", "parent", "substance_own", None),
    ],
)
def test_a_parents_own_drinking_is_the_familys_question(guide, text, role, topic, not_topic):
    topics = guide.understander.read(text).topics
    assert topic in topics
    assert not_topic is None or not_topic not in topics


@pytest.mark.parametrize(
    ("text", "municipality", "age", "first"),
    [
        ("min elev er bange for at komme i skole og får hjertebanken om morgenen", "aarhus", 12, "aarhus-center-for-trivsel"),
        ("jeg er lærer, en elev skærer i sig selv", "aarhus", 13, "aarhus-center-for-trivsel"),
        ("en af mine elever virker trist og har trukket sig fra de andre", "aarhus", 14, "aarhus-center-for-trivsel"),
    ],
)
def test_a_teachers_pupil_with_a_specific_worry_gets_that_help_before_ppr(guide, text, municipality, age, first):
    result = guide.assess(text, Need(role="professional", age=age, municipality=municipality))
    assert result.offer_ids[0] == first


@pytest.mark.parametrize(
    ("text", "role", "age", "municipality", "first"),
    [
        ("Hvad går MOT ud på, passer det til vores 8. klasser?", "professional", 14, "aarhus", "program-mot"),
        ("vi vil gerne have TRIV NU fra Psykiatrifonden til vores klasser", "professional", 12, "aarhus", "program-triv-nu"),
        ("jag går mot skolan men vill inte", "youth", 12, "sverige", None),  # Swedish 'mot' names nothing
    ],
)
def test_an_offer_named_in_the_message_comes_first_when_it_may_be_shown(guide, text, role, age, municipality, first):
    result = guide.assess(text, Need(role=role, age=age, municipality=municipality))
    if first:
        assert result.offer_ids[0] == first
    else:
        assert not result.understanding.offers_named
