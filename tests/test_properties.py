"""Property-based: whatever arrives, in whatever state, the core answers, never raises, keeps
a valid state and never stores the person's words."""

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.flow import OWN_WORDS_STEP, QUESTION_BY_ID, RESULT, ChatState, Conversation, Event
from bot.render import Renderer
from bot.schema import LANGUAGES

KNOWN_STEPS = {None, RESULT, OWN_WORDS_STEP, *QUESTION_BY_ID}
VALID_DATA = [
    "a:role:youth", "a:role:parent", "a:role:professional", "a:municipality:norddjurs", "a:municipality:sverige",
    "a:age:0", "a:age:14", "a:age:18", "a:age:x", "a:topic:anxiety", "a:topic:own", "a:severity:4", "more",
    "change:age", "new", "help", "back", "go", "lang:sv", "lang:en",
]  # fmt: skip

any_text = st.one_of(
    st.text(max_size=300),
    st.builds(lambda piece, length: (piece * length)[:10_000], st.text(min_size=1, max_size=40), st.integers(100, 10_000)),
    st.text(alphabet=st.sampled_from([chr(code) for code in range(32)] + ["\u202e", "\u200b", "\ufeff", " "]), max_size=50),
    st.sampled_from(["min søn på 9 i Grenaa vil ikke i skole", "jeg vil ikke leve mere", "😀" * 3000, "<b>&amp;</b>"]),
)
forged_data = st.one_of(st.sampled_from(VALID_DATA), st.text(max_size=80), st.text(alphabet=string.printable, max_size=64))
commands = st.sampled_from(["/ny", "/slet", "/sprog", "/hjaelp", "/akut", "/x", "/"])
events = st.one_of(
    st.builds(Event, st.just("text"), any_text),
    st.builds(Event, st.just("button"), forged_data),
    st.builds(Event, st.just("command"), commands, st.text(max_size=70)),
    st.builds(Event, st.just("start"), argument=st.text(max_size=70)),
    st.builds(Event, st.sampled_from(["unsupported", "", "bogus"])),
)
# Stored states as a damaged row or an older version might hold them.
field_values = st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3))
stored_states = st.one_of(
    st.builds(ChatState, language=st.sampled_from(LANGUAGES)),
    st.dictionaries(st.sampled_from([*ChatState.__dataclass_fields__, "junk"]), field_values).map(ChatState.from_dict),
)


@pytest.fixture(scope="module")
def conversation(guide):
    return Conversation(guide, Renderer)


def assert_valid(state: ChatState, reply) -> None:
    assert reply.messages and all(isinstance(message, str) and message.strip() for message in reply.messages)
    for option in reply.option_list():
        assert option.label and option.data.isascii() and len(option.data.encode()) <= 64
    assert state.language in LANGUAGES and state.step in KNOWN_STEPS
    assert ChatState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(state=stored_states, event=events)
def test_any_event_in_any_state_gets_a_reply_and_a_valid_state(conversation, state, event):
    try:
        new_state, reply = conversation.handle(state, event)
    except Exception as error:  # pragma: no cover - report what broke it
        raise AssertionError(f"{type(error).__name__} for {event!r} in {state!r}") from error
    assert_valid(new_state, reply)
    if event.kind == "text" and len(event.value.strip()) >= 12:
        assert event.value.strip() not in json.dumps(new_state.to_dict(), ensure_ascii=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=st.lists(events, min_size=1, max_size=10))
def test_any_sequence_from_a_fresh_start_stays_valid(conversation, sequence):
    state, reply = conversation.handle(ChatState(), Event("start"))
    for event in sequence:
        state, reply = conversation.handle(state, event)
        assert_valid(state, reply)
