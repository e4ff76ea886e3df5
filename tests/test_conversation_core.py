"""Every story against the core, without any channel."""

from dataclasses import replace

import pytest

from bot.flow import ChatState, Conversation, Event
from bot.render import Renderer
from tests.conftest import DEV_CASES, load_cases
from tests.story import STORIES, Seen, assert_pressable, check, event_of, load


@pytest.fixture(scope="module")
def conversation(guide):
    return Conversation(guide, Renderer)


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
def test_story_in_the_core(conversation, path):
    story = load(path)
    state = ChatState(language=story.get("language", "da"))
    seen = None
    screens: list[list[str]] = []
    for number, step in enumerate(story["steps"], start=1):
        where = f"{path.stem} step {number}"
        assert_pressable(step, screens, where)
        event = event_of(step)
        if event is not None:
            state, reply = conversation.handle(state, event)
            buttons = reply.option_keys()
            seen = Seen("\n".join(reply.messages), buttons, reply.crisis, list(reply.offer_ids), list(reply.keys))
            assert all(len(data.encode()) <= 64 and data.isascii() for data in seen.buttons)
            assert len(reply.keys) == len(reply.messages), f"{where}: a key for every message"
            screens.append(buttons)
        check(step, seen, where)
        assert "text" not in ChatState.to_dict(state)  # the person's words are never kept


def test_free_text_fills_several_answers_and_only_missing_ones_are_asked(conversation):
    state, _ = conversation.handle(ChatState(), event_of({"start": ""}))
    state, reply = conversation.handle(state, event_of({"write": "min søn på 9 vil ikke i skole"}))
    assert (state.role, state.age) == ("parent", 9)
    assert state.step == "municipality"
    assert "kommune" in reply.messages[-1]


def test_back_undoes_the_last_answer(conversation):
    state, _ = conversation.handle(ChatState(), event_of({"start": ""}))
    state, _ = conversation.handle(state, event_of({"press": "a:role:parent"}))
    state, reply = conversation.handle(state, event_of({"press": "back"}))
    assert state.role is None and state.step == "role"
    assert "Hvem er du?" in reply.messages[-1]


def _crisis_sentences() -> list[str]:
    own = [case["text"] for case in load_cases("safety.yaml")["crisis"]]
    shared = [case["text"] for case in DEV_CASES if case["expect"].get("crisis")]
    return own + shared


# Where a person can be in the conversation when they write.
STEPS_BEFORE = {
    "first question": [],
    "municipality": [{"press": "a:role:youth"}],
    "age": [{"press": "a:role:parent"}, {"press": "a:municipality:hedensted"}],
    "own words": [{"press": "a:role:youth"}, {"press": "a:municipality:aarhus"}, {"press": "a:age:14"}, {"press": "a:topic:own"}],
    "result": [{"write": "min søn på 9 i Grenaa vil ikke i skole"}],
    "after a crisis": [{"write": "jeg vil ikke leve mere"}],
}


@pytest.mark.parametrize("where", STEPS_BEFORE)
def test_every_crisis_sentence_gets_the_crisis_answer_at_every_step(conversation, where):
    state, _ = conversation.handle(ChatState(), event_of({"start": ""}))
    for step in STEPS_BEFORE[where]:
        state, _ = conversation.handle(state, event_of(step))
    missed = []
    for sentence in _crisis_sentences():
        _, reply = conversation.handle(state, event_of({"write": sentence}))
        text = "\n".join(reply.messages)
        if not (reply.crisis and "112" in text and text.find("112") < 400):  # 112 near the top, before anything else
            missed.append(sentence)
    assert missed == [], f"no crisis answer at '{where}' for: {missed}"


# ------------------------------------------------------------------ the crisis check at the one entry point
CRISIS_WORDS = "jeg vil ikke leve mere"
EVENTS_WITH_WORDS = {
    "text": Event("text", CRISIS_WORDS),
    "edited text": Event("edited", CRISIS_WORDS),
    "command argument": Event("command", "/hjaelp", CRISIS_WORDS),
    "unknown command's argument": Event("command", "/banan", CRISIS_WORDS),
    "language command's argument": Event("command", "/sprog", CRISIS_WORDS),
    "start payload": Event("start", argument=CRISIS_WORDS),
    "caption": Event("unsupported", "photo", CRISIS_WORDS),
}


@pytest.mark.parametrize("kind", EVENTS_WITH_WORDS)
def test_every_event_with_words_gets_the_crisis_check_first(conversation, kind):
    state, _ = conversation.handle(ChatState(), Event("start"))
    state, _ = conversation.handle(state, Event("button", "a:role:youth"))
    _, reply = conversation.handle(state, EVENTS_WITH_WORDS[kind])
    assert reply.crisis and reply.keys == ("crisis",)
    assert "112" in "\n".join(reply.messages)


@pytest.mark.parametrize("kind", EVENTS_WITH_WORDS)
def test_every_event_with_worrying_words_gets_the_direct_question(conversation, kind):
    event = EVENTS_WITH_WORDS[kind]
    event = Event(event.kind, "jeg kan ikke mere" if event.kind in ("text", "edited") else event.value, "jeg kan ikke mere")
    _, reply = conversation.handle(ChatState(), event)
    assert not reply.crisis and reply.keys[-1] == "ask_danger"
    assert reply.option_keys() == ["a:danger:yes", "a:danger:no", "a:danger:x"]
    assert "tænker du på at tage dit liv" in reply.messages[-1]


def test_an_edited_message_without_danger_is_a_deliberate_silence(conversation):
    state, _ = conversation.handle(ChatState(), Event("start"))
    new_state, reply = conversation.handle(state, Event("edited", "hej"))
    assert new_state == state and reply.messages == ()


def test_the_direct_question_goes_back_to_where_it_was(conversation):
    state, _ = conversation.handle(ChatState(), Event("start"))
    state, _ = conversation.handle(state, Event("button", "a:role:youth"))
    state, _ = conversation.handle(state, Event("text", "jeg kan ikke mere"))
    assert (state.step, state.resume) == ("danger", "municipality")
    state, reply = conversation.handle(state, Event("text", "nej"))
    assert state.step == "municipality" and reply.keys == ("danger_no", "ask_municipality")
    assert "116 111" in reply.messages[-1]  # where to talk: the line in the footer, from the catalogue


# ------------------------------------------------------------------ one merge rule
def test_the_flow_and_route_merge_words_into_known_answers_the_same_way(conversation, guide):
    known = ChatState(role="parent", municipality="aarhus", age=15, topics={"anxiety": 3.0}, severity=1, step="result")
    state, _ = conversation.handle(known, Event("text", "hun hører stemmer"))
    need = guide.assess("hun hører stemmer", known.need()).need
    assert (state.role, state.age, state.municipality, state.severity) == (need.role, need.age, need.municipality, need.severity)
    assert state.severity == 4 and state.topics == need.topics


@pytest.mark.parametrize(
    "role, age, municipality, words",
    [
        ("professional", 10, "norddjurs", "en elev siger at hans far slår. hvornår skal jeg underrette?"),  # notification named
        ("parent", 5, "aarhus", "han går i 0. klasse og er meget urolig"),  # a five-year-old at school
        ("youth", 17, "norddjurs", "jeg er 17 og gravid og min mor ved det ikke endnu"),  # a young mother-to-be
        ("parent", 9, "hedensted", "vi har været hos PPR men det hjalp ikke, han er stadig ked af det"),  # help tried
    ],
)
def test_what_a_message_says_once_reaches_the_chat_result_as_in_route(conversation, guide, role, age, municipality, words):
    """The chat keeps what the words said (a school child, a pregnancy, a notification asked about,
    help already tried), so its result is the one `route` gives for the same message."""
    known = ChatState(role=role, municipality=municipality, age=age, severity=2, step="result")
    state, reply = conversation.handle(known, Event("text", words))
    expected = guide.assess(words, known.need(), limit=None)
    assert state.need() == replace(expected.need, language=state.language)
    assert reply.offer_ids[0] == expected.offer_ids[0]


def test_a_pregnant_young_person_is_shown_the_group_for_pregnant_women_and_a_daughter_is_not(guide):
    from bot.routing import Need

    pregnant = guide.assess("jeg er 17 og gravid og min mor ved det ikke endnu. jeg er så bange", Need("youth", 17, "norddjurs"))
    assert pregnant.offer_ids[0] == "norddjurs-saarbare-gravide"
    daughter = guide.assess("min mor er gravid og jeg er bange for at hun ikke har tid til mig", Need("youth", 15, "norddjurs"))
    assert "norddjurs-saarbare-gravide" not in daughter.offer_ids


# ------------------------------------------------------------------ the core decides to delete
def test_slet_asks_the_channel_to_forget_and_keeps_only_the_language(conversation):
    state = ChatState(language="sv", role="parent", municipality="aarhus", age=9, step="topic", history=["role"])
    for alias in ("/slet", "/delete", "/radera", "/SLET@trivselsguiden_bot"):
        new_state, reply = conversation.handle(state, Event("command", alias))
        assert reply.forget and new_state == ChatState(language="sv")
    _, reply = conversation.handle(state, Event("command", "/hjaelp"))
    assert not reply.forget


# ------------------------------------------------------------------ the terminal
def test_console_after_an_unclear_age_a_digit_is_never_read_against_a_hidden_list(conversation):
    import io

    from bot.console import Console

    console = Console(conversation, io.StringIO())
    for line in ("/start", "1", "aarhus"):
        console.step(console.event_for(line))
    assert console.state.step == "age"
    console.step(console.event_for("hmm"))  # not understood: the age question again, with its ages
    assert console.state.age is None and "(0 1 2" in console.output.getvalue().rsplit("Hvor gammel", 1)[-1]
    console.step(console.event_for("fjorten"))
    assert console.state.age == 14 and console.state.step == "topic"
    console.step(console.event_for("1"))  # a numbered topic now
    assert console.state.topics


def test_the_direct_question_stays_until_it_is_answered(conversation):
    state, _ = conversation.handle(ChatState(), Event("start"))
    state, reply = conversation.handle(state, Event("text", "min ven kan ikke mere"))
    for event in (Event("button", "a:role:youth"), Event("text", "tilbage"), Event("text", "hej"), Event("button", "go")):
        state, reply = conversation.handle(state, event)
        assert state.step == "danger" and reply.keys[-1] == "ask_danger", event
    assert state.role == "youth"  # the old button's answer is kept
    state, reply = conversation.handle(state, Event("command", "/sprog", "sv"))
    assert "är personen du skriver om i fara" in reply.messages[-1]  # still about the friend, now in Swedish
    state, reply = conversation.handle(state, Event("button", "a:danger:no"))
    assert state.step == "municipality" and not state.about_other


def test_asking_one_more_question_is_one_table_entry(conversation, monkeypatch):
    """The driver has no per-question code: asking severity before the result is a change to the table."""
    import bot.flow as flow

    monkeypatch.setattr(flow, "ASKED", (*flow.ASKED, replace(flow.SEVERITY, required=True)))
    state, _ = conversation.handle(ChatState(), Event("start", argument="aarhus"))
    for data in ("a:role:parent", "a:age:9", "a:topic:anxiety"):
        state, reply = conversation.handle(state, Event("button", data))
    assert state.step == "severity" and reply.keys == ("ask_severity",)
    assert reply.option_keys()[:4] == ["a:severity:1", "a:severity:2", "a:severity:3", "a:severity:4"]
    state, reply = conversation.handle(state, Event("text", "Meget"))  # typed, read against the labels
    assert state.severity == 3 and reply.keys == ("result",)


def test_severity_meget_reaches_the_ranking(conversation):
    """'Meget' is passed on to routing: here the family doctor moves up among the alternatives."""
    orders = {}
    for said in (None, "Meget"):
        state, _ = conversation.handle(ChatState(), Event("start"))
        state, _ = conversation.handle(state, Event("text", "min søn på 14 i Hedensted er meget ked af det"))
        if said:
            state, _ = conversation.handle(state, Event("text", said))
        state, reply = conversation.handle(state, Event("button", "more"))
        orders[said] = list(reply.offer_ids)
    assert orders["Meget"] != orders[None]
    assert orders["Meget"].index("dk-egen-laege") < orders[None].index("dk-egen-laege")


def test_a_crisis_while_the_direct_question_waits_answers_it(conversation):
    state, _ = conversation.handle(ChatState(), Event("start"))
    state, _ = conversation.handle(state, Event("button", "a:role:youth"))
    state, _ = conversation.handle(state, Event("text", "jeg kan ikke mere"))
    state, reply = conversation.handle(state, Event("text", "ja, jeg vil ikke leve mere"))
    assert reply.crisis and state.step == "municipality"
    state, reply = conversation.handle(state, Event("button", "go"))
    assert reply.keys == ("ask_municipality",)  # on with the conversation, not the question again
