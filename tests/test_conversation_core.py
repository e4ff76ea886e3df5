"""Every story against the core, without any channel."""

import pytest

from bot.flow import ChatState, Conversation
from tests.story import STORIES, Seen, check, event_of, load


@pytest.fixture(scope="module")
def conversation(guide):
    return Conversation(guide)


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
def test_story_in_the_core(conversation, path):
    story = load(path)
    state = ChatState(language=story.get("language", "da"))
    seen = None
    for number, step in enumerate(story["steps"], start=1):
        event = event_of(step)
        if event is not None:
            state, reply = conversation.handle(state, event)
            seen = Seen("\n".join(reply.messages), [o.data for o in reply.option_list()], reply.crisis, list(reply.offer_ids))
            assert all(len(data.encode()) <= 64 and data.isascii() for data in seen.buttons)
        check(step, seen, f"{path.stem} step {number}")
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
