"""The crisis check on sentences in three languages: misses and false alarms both measured."""

import pytest

from bot import safety
from tests.conftest import load_cases

CASES = load_cases("safety.yaml")


@pytest.mark.parametrize("case", CASES["crisis"], ids=lambda case: case["text"][:40])
def test_every_crisis_sentence_is_caught_with_its_kind(case):
    result = safety.check(case["text"])
    assert result.is_crisis, f"missed: {case['text']}"
    assert result.kind == case["kind"]
    if case.get("about_other"):
        assert result.about_other


def test_false_alarms_stay_below_one_in_twenty():
    flagged = [text for text in CASES["calm"] if safety.check(text).is_crisis]
    assert len(flagged) / len(CASES["calm"]) <= 1 / 20, f"false alarms: {flagged}"


@pytest.mark.parametrize(
    "text",
    ["jeg dør af grin", "bogen handler om selvmord", "jeg har aldrig tænkt på selvmord", "min morfar døde i går"],
)
def test_figurative_speech_stories_and_negation_are_not_crises(text):
    assert not safety.check(text).is_crisis


def test_a_first_person_wish_to_die_is_never_excused_by_story_words():
    # "film" is story context for a bare keyword, but not for someone saying they want to die.
    assert safety.check("jeg så en film og nu vil jeg ikke leve mere").kind == safety.SUICIDE


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "x" * 5000, "\x00\x1b[31m", "ﷺ" * 100])
def test_odd_input_is_calm_and_never_raises(text):
    assert not safety.check(text).is_crisis


def test_typos_and_spoken_spellings_are_caught():
    for text in ("selvmort", "selmord", "vil ik leve mer", "jeg vil dø", "i wanna die", "sucide"):
        assert safety.check(text).is_crisis, text
