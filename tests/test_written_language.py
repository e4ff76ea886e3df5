"""The language a message is written in: clear sentences switch, short or mixed ones never do."""

import pytest

from bot.text import written_language


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("I want to kill myself", "en"),
        ("my son doesn't want to go to school and I don't know what to do", "en"),
        ("hej jag går i sjuan och mår inte bra", "sv"),
        ("min mamma och pappa ska skilja sig", "sv"),
        ("jeg ved ikke hvad jeg skal gøre", "da"),
        ("det går ikke godt i skolen i år, hun er meget ked af det", "da"),
        ("min søn går i 4. klasse og vil ikke i skole", "da"),
    ],
)
def test_a_clear_sentence_names_its_language(message, language):
    assert written_language(message) == language


@pytest.mark.parametrize("message", ["ja", "nej", "ok", "14", "Grenaa", "hej", "😀🎉", "", "stress i skolen", "is i dag"])
def test_short_or_shared_words_switch_nothing(message):
    assert written_language(message) is None
