"""What a worried person sees on a result screen (issue 11), measured over many chats.

Every role × municipality × age × button topic × language is tapped through the real
conversation; the result screen, the "Flere tilbud" screen and the questions on the way are
checked for what a person must (and must not) see.
"""

from __future__ import annotations

import itertools
import re

import pytest
import yaml

from bot.catalogue import Catalogue
from bot.console import plain
from bot.flow import ChatState, Conversation, Event
from bot.guide import Guide
from bot.render import TEMPLATES, Renderer

MAX_CARD_LINES = 8
MAX_RESULT_BUTTONS = 6
ROLES = ("youth", "parent", "professional")
AGES = (3, 9, 14, 17)
LANGUAGES = ("da", "en", "sv")
ABBREVIATIONS = ("PPR", "FTI", "SSP", "§ 126 a")
PARENT_LINE = "47 47 10 20"
CHILD_LINE = "116 111"
REFERRAL_NOTES = ("Ingen henvisning", "No referral", "Ingen remiss")
ASK_THE_MUNICIPALITY = ("spørg kommunen", "ask the municipality", "fråga kommunen")


@pytest.fixture(scope="module")
def conversation(guide):
    return Conversation(guide, Renderer)


def _tap(conversation: Conversation, state: ChatState, data: str):
    return conversation.handle(state, Event("button", data))


def _chats(conversation: Conversation):
    """Every combination, tapped through to the first result: (who, screens on the way, result state, result reply)."""
    municipalities = [name for name in conversation.catalogue.municipalities]
    topics = conversation.catalogue.button_topics()
    for language, role, municipality, age, topic in itertools.product(LANGUAGES, ROLES, municipalities, AGES, topics):
        state, reply = conversation.handle(ChatState(language=language), Event("start"))
        screens = [reply]
        for data in (f"a:role:{role}", f"a:municipality:{municipality}", f"a:age:{age}", f"a:topic:{topic}"):
            state, reply = _tap(conversation, state, data)
            screens.append(reply)
        yield (language, role, municipality, age, topic), screens, state, reply


@pytest.fixture(scope="module")
def chats(conversation):
    return list(_chats(conversation))


def card_of(text: str) -> list[str]:
    """The best offer's card: from the ⭐ line to the first blank line."""
    lines = plain(text).splitlines()
    start = next((number for number, line in enumerate(lines) if line.startswith("⭐")), None)
    if start is None:
        return []
    card = []
    for line in lines[start:]:
        if not line.strip():
            break
        card.append(line)
    return card


def test_the_longest_card_fits_in_eight_lines(chats):
    longest = max(((len(card_of(reply.messages[-1])), who) for who, _, _, reply in chats), key=lambda item: item[0])
    print(f"\n{len(chats)} chats; longest best-offer card: {longest[0]} lines ({longest[1]})")
    assert longest[0] <= MAX_CARD_LINES, longest
    assert all(card_of(reply.messages[-1]) for _, _, _, reply in chats if reply.offer_ids), "every result shows a card"


def test_every_offer_fits_in_eight_lines_for_everyone(conversation):
    """Typed words reach offers the buttons don't: every offer's card, for every reader."""
    renderer = Renderer(conversation.catalogue)
    longest = (0, None)
    for language, role, municipality, offer in itertools.product(
        LANGUAGES, ROLES, conversation.catalogue.municipalities, conversation.catalogue.offers
    ):
        state = ChatState(language=language, role=role, municipality=municipality, age=10, topics={"anxiety": 3.0})
        lines = len(card_of(renderer.result(state, [offer], None).messages[0]))
        longest = max(longest, (lines, (language, role, municipality, offer.id)), key=lambda item: item[0])
    print(f"\nlongest card of any offer: {longest}")
    assert 0 < longest[0] <= MAX_CARD_LINES, longest


def test_result_screen_size(chats):
    """Figures for the record (issue 11 began at 37 lines / 347 words + 11 buttons)."""
    sizes = [
        (len(plain(reply.messages[-1]).splitlines()), len(plain(reply.messages[-1]).split()), len(reply.option_list()), who)
        for who, _, _, reply in chats
    ]
    lines, words, buttons = (max(size[index] for size in sizes) for index in range(3))
    print(f"\nresult screen: max {lines} lines, max {words} words, max {buttons} buttons")
    assert max(size[2] for size in sizes) <= MAX_RESULT_BUTTONS


def test_a_result_screen_has_at_most_six_buttons_and_says_each_note_once(chats):
    for who, _, _, reply in chats:
        text = plain(reply.messages[-1])
        assert len(reply.option_list()) <= MAX_RESULT_BUTTONS, (who, [option.label for option in reply.option_list()])
        for note in (*REFERRAL_NOTES, *ASK_THE_MUNICIPALITY):
            assert text.casefold().count(note.casefold()) <= 1, (who, note, text)


def test_every_screen_on_the_way_has_112_and_a_line_open_now(chats):
    for who, screens, _, _ in chats:
        for reply in screens:
            last = plain(reply.messages[-1]).splitlines()[-1]
            assert "112" in last, (who, last)
            assert any(line in last for line in (CHILD_LINE, PARENT_LINE, "1177")), (who, last)


def test_parents_and_staff_get_a_parent_line_and_young_people_a_childrens_line(chats):
    for (_, role, municipality, _, _), _, _, reply in chats:
        footer = plain(reply.messages[-1]).splitlines()[-1]
        sweden = municipality == "sverige"
        if role == "youth":
            assert CHILD_LINE in footer and PARENT_LINE not in footer
        elif sweden:
            assert "1177" in footer and CHILD_LINE not in footer
        else:
            assert PARENT_LINE in footer and CHILD_LINE not in footer
        assert ("Bris" in footer) == (sweden and role == "youth")
        assert ("BørneTelefonen" in footer) == (not sweden and role == "youth")


@pytest.mark.parametrize(
    ("municipality", "expected", "childrens_line"), [("aarhus", "headspace.dk", "BørneTelefonen"), ("sverige", "1177", "Bris")]
)
def test_a_young_person_past_17_is_not_sent_to_the_childrens_line(conversation, municipality, expected, childrens_line):
    """BørneTelefonen and Bris are for children up to 17: a 20-year-old gets a line for young adults."""
    state, _ = conversation.handle(ChatState(language="da"), Event("start"))
    for data in ("a:role:youth", f"a:municipality:{municipality}"):
        state, _ = _tap(conversation, state, data)
    state, reply = conversation.handle(state, Event("text", "20"))
    footer = plain(reply.messages[-1]).splitlines()[-1]
    assert expected in footer and "112" in footer, footer
    assert childrens_line not in footer and CHILD_LINE not in footer, footer


def test_no_phone_icon_without_a_number_and_no_aarhus_street_outside_aarhus(chats, conversation):
    for who, _, state, reply in chats:
        text = plain(reply.messages[-1])
        for line in text.splitlines():
            if "📞" in line:
                assert re.search(r"📞 \d", line), (who, line)
        if state.municipality != "aarhus":
            for street in ("Grøndalsvej", "Palle Juul-Jensens", "Sønder Allé"):
                assert street not in text, (who, street)


def test_national_lines_never_say_ask_the_municipality(conversation):
    renderer = Renderer(conversation.catalogue)
    for language, offer in itertools.product(LANGUAGES, conversation.catalogue.offers):
        if not offer.is_national:
            continue
        state = ChatState(language=language, role="parent", municipality="norddjurs", age=10, topics={"anxiety": 3.0})
        text = plain(renderer.result(state, [offer], None).messages[0])
        for words in ASK_THE_MUNICIPALITY:
            assert words not in text, (offer.id, language)


def test_abbreviations_are_explained_the_first_time(chats):
    for who, _, _, reply in chats:
        text = plain(reply.messages[-1])
        for short in ABBREVIATIONS:
            if short in text:
                explanations = [line for line in text.splitlines() if re.match(rf"{re.escape(short)} (er|is|är) ", line)]
                assert len(explanations) == 1, (who, short, text)


def test_the_alternatives_are_one_line_each(conversation, chats):
    for who, _, state, reply in chats[:: max(1, len(chats) // 150)]:
        if not any(option.data == "more" for option in reply.option_list()):
            continue
        _, more = _tap(conversation, state, "more")
        text = plain(more.messages[-1])
        items = [line for line in text.splitlines() if line.startswith("• ")]
        assert items and len(items) == len(more.offer_ids), (who, text)
        assert "⭐" not in text


def test_swedish_readers_see_no_danish_offer_texts(conversation):
    renderer = Renderer(conversation.catalogue)
    danish = re.compile(r"\b(og|ikke|børn|henvisning|forældre|hjælp|gennem|spørg)\b")
    for offer in conversation.catalogue.offers:
        view = renderer.offer_view(offer, "sv", "sverige")
        for field in ("summary", "how", "hours", "next_step", "referral_note", "status_note"):  # names are proper names
            assert not (view[field] and danish.search(view[field])), (offer.id, field, view[field])


def test_staff_are_asked_about_their_concern_not_about_daily_life(chats):
    for (_, role, *_), _, state, reply in chats:
        if state.severity is not None:
            continue
        text = plain(reply.messages[-1])
        if role == "professional":
            assert any(words in text for words in ("bekymret", "concerned", "orolig")), text
        assert "fill everyday life" not in text
        assert "pedagogue" not in text and "børn- og unge" not in text


def test_the_footer_number_for_parents_is_in_the_catalogue(conversation):
    """The parent line's number comes from headspace's own contact words, never from nowhere."""
    how = conversation.catalogue.offers_by_id["dk-headspace"].contact.how
    assert how is not None and PARENT_LINE in how.da


def test_a_catalogue_without_a_footer_line_is_refused(catalogue):
    """The footer's lines are ids the code relies on: a catalogue without one cannot be served."""
    offers = [offer for offer in catalogue.offers if offer.id != "dk-headspace"]
    without = Catalogue(offers, catalogue.topics, catalogue.municipalities, catalogue.countries, catalogue.other_municipality)
    with pytest.raises(ValueError, match=r"lines\.yaml.*dk-headspace"):
        Renderer(without)
    with pytest.raises(ValueError, match=r"lines\.yaml"):
        Conversation(Guide(catalogue), Renderer).use_catalogue(without)


def test_open_now_stands_beside_the_phone_number_instead_of_the_hours(catalogue):
    """The slot the opening-hours helper fills: its words replace the hours words on the card."""
    renderer = Renderer(catalogue)
    renderer.open_status = lambda offer, language: "Lukket nu – åbner i morgen kl. 16"  # type: ignore[method-assign]
    state = ChatState(language="da", role="parent", municipality="hedensted", age=15, topics={"psychosis": 3.0})
    text = plain(renderer.result(state, [catalogue.offers_by_id["dk-laegevagten-midtjylland"]], None).messages[0])
    assert "📞 70 11 31 31 – Lukket nu – åbner i morgen kl. 16" in text
    assert "Hverdage kl. 16–08" not in text


def test_every_language_has_the_same_words():
    """A key missing in one language would fail only that language's chats: all three carry every key."""

    def keys(value, prefix=""):
        if not isinstance(value, dict):
            return {prefix}
        return {key for name, item in value.items() for key in keys(item, f"{prefix}.{name}")}

    words = {
        language: yaml.safe_load((TEMPLATES / f"words.{language}.yaml").read_text(encoding="utf-8")) for language in LANGUAGES
    }
    # Role variants may differ (a language can word two roles alike); everything else must match.
    roles = re.compile(r"\.(youth|parent|professional|other|self)$")
    shapes = {language: {roles.sub("", key) for key in keys(value)} for language, value in words.items()}
    assert shapes["en"] == shapes["da"] and shapes["sv"] == shapes["da"], {
        language: shapes["da"] ^ shape for language, shape in shapes.items()
    }
