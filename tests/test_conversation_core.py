"""Every story against the core, without any channel."""

import pytest

from bot.flow import ChatState, Conversation
from tests.conftest import DEV_CASES, load_cases
from tests.story import STORIES, Seen, assert_pressable, check, event_of, load


@pytest.fixture(scope="module")
def conversation(guide):
    return Conversation(guide)


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
