"""The conversation, declared as data, and the one function every channel calls.

    QUESTIONS  the questions: the state field each fills, where its options come from, how it
               reads a press or typed words/digits, its layout; asked in order while missing
    handle()   (state, event) -> (new state, Reply): the one entry point of every channel. It
               decides first (a Draft: message keys, button data, flags - no words) and puts
               the Draft into words once, at the end (`_render`, the only place that calls
               the Renderer besides reading typed labels)

Every event that carries words (text, an edited text, command arguments, the /start payload, a
photo's caption) passes the crisis check first, before anything else reads it. The answer is one
of three: `crisis` gives the crisis answer, `ask` asks directly whether a life is in danger
(Ja / Nej / Ved ikke), `none` goes on.

Free text is welcome at any step: it is read for every answer it holds ("min søn på 9 i Grenaa
vil ikke i skole" answers role, age, municipality and topic) with the same merge rule `route`
uses (`Guide.merge`), and the guide asks only what is still missing. The person's own words are
never stored: the state keeps only the answers and the step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError
from rapidfuzz import fuzz, process

from bot import safety
from bot.catalogue import Catalogue
from bot.guide import Guide
from bot.reply import Draft, Option, Reply, Say
from bot.routing import Need, crisis_offers
from bot.schema import LANGUAGES
from bot.text import normalise, written_language

MAX_TEXT_LENGTH = 2000  # longer messages are read up to here; the crisis check sees it all
RESULT = "result"
OWN_WORDS_STEP = "topic_text"  # waiting for the person to describe it in their own words
MAX_AGE = 120
# The age question asks for a child's or a young person's age: beyond this a typed number is
# more likely a slip ("99") than an answer, so it is asked again (free text may still say "jeg er 40").
MAX_ASKED_AGE = 30
OWN_WORDS = "own"
DONT_KNOW = "x"
DANGER = "danger"  # the direct question: is a life in danger now?
FUZZY_CUTOFF = 88

# Commands, in every language the guide speaks. Parsed here only: channels pass them through.
START_COMMANDS = ("start", "ny", "new", "reset")
HELP_COMMANDS = ("hjaelp", "help", "hjalp", "hjælp")
LANGUAGE_COMMANDS = ("sprog", "language", "lang", "sprak", "språk")
DELETE_COMMANDS = ("slet", "delete", "radera")
NOW_COMMANDS = ("akut", "nu", "now")
# Buttons that can also be typed as their label in any language ("Tilbage", "Fortsæt").
NAVIGATION = ("back", "go", "new", "more", "help")

# Ages written as words ("fjorten"), read at the age question.
_NUMBERS = {
    "da": "nul en to tre fire fem seks syv otte ni ti elleve tolv tretten fjorten femten seksten sytten atten nitten tyve",
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty",
    "sv": "noll ett två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton sjutton arton nitton tjugo",
}
_NEGATIVE_NUMBER = re.compile(r"\s*[-−–]\s*\d+\s*")
NUMBER_WORDS = {normalise(word): number for words in _NUMBERS.values() for number, word in enumerate(words.split())}


def _topic(option: str) -> dict[str, float]:
    return {option: 3.0}  # a pressed topic counts as much as a clear sentence


@dataclass(frozen=True)
class Question:
    id: str  # in button data: a:<id>:<option>; the template is ask_<id>
    field: str | None  # the ChatState field the answer fills; None for a question that steers
    options: tuple[str, ...] = ()  # fixed options ...
    source: str | None = None  # ... or from the catalogue: "municipalities" | "topics"
    reads: str = "choice"  # typed: "choice" (a label or an option's number) | "number" (a number in `numbers`)
    numbers: tuple[int, int] = (0, 0)
    convert: Callable[[str], Any] = str  # from an option to the stored value
    can_skip: bool = True  # shows "Ved ikke"
    required: bool = True  # asked before the result
    columns: int = 1
    extra: tuple[str, ...] = ()  # more buttons under the options
    actions: tuple[tuple[str, str], ...] = ()  # option -> "crisis" | "resume", for a question that steers
    context: tuple[str, ...] = ()  # state fields the template gets
    fuzzy: bool = True  # typed words may be near a label; False: exactly a label
    unclear: str = "not_answer"  # what to say when typed words answer nothing

    @property
    def message(self) -> str:
        return f"ask_{self.id}"

    def action(self, option: str) -> str | None:
        return dict(self.actions).get(option)


QUESTIONS: tuple[Question, ...] = (
    # At the first question free words are welcome: unclear words get "tell me more", not "try again".
    Question("role", "role", ("youth", "parent", "professional"), can_skip=False, unclear="not_understood"),
    Question("municipality", "municipality", source="municipalities"),
    Question(
        "age", "age", tuple(str(age) for age in range(19)), reads="number", numbers=(0, MAX_ASKED_AGE), convert=int, columns=6
    ),
    Question("topic", "topics", source="topics", convert=_topic, extra=(f"a:topic:{OWN_WORDS}",), unclear="not_understood"),
    # Asked on the result card, so a person reaches an answer in four taps and can then sharpen it.
    Question("severity", "severity", ("1", "2", "3", "4"), convert=int, columns=2, required=False),
    Question(
        DANGER,
        None,
        ("yes", "no"),
        columns=3,
        required=False,
        actions=(("yes", "crisis"), (DONT_KNOW, "crisis"), ("no", "resume")),
        context=("about_other",),
        fuzzy=False,
    ),
)
QUESTION_BY_ID = {question.id: question for question in QUESTIONS}
ASKED = tuple(question for question in QUESTIONS if question.required)  # in this order, while missing
SEVERITY = QUESTION_BY_ID["severity"]


@dataclass
class ChatState:
    language: str = "da"
    role: str | None = None
    municipality: str | None = None
    age: int | None = None
    topics: dict[str, float] = field(default_factory=dict)
    severity: int | None = None
    skipped: list[str] = field(default_factory=list)
    step: str | None = None
    history: list[str] = field(default_factory=list)
    page: int = 0
    resume: str | None = None  # the step to go back to after the direct question
    about_other: bool = False  # the direct question is about someone else
    offers_tried: list[str] = field(default_factory=list)  # help had that did not help enough (routing)
    urgent_now: bool = False  # sudden or severe, now, out of hours (routing)
    offers_named: list[str] = field(default_factory=list)  # offers asked about by name (routing)
    in_school: bool = False  # the child goes to school (routing)
    expecting: bool = False  # the writer is pregnant (routing)

    def answered(self, question_id: str) -> bool:
        if question_id in self.skipped:
            return True
        question = QUESTION_BY_ID[question_id]
        value = getattr(self, question.field) if question.field else None
        return bool(value) if isinstance(value, dict) else value is not None

    def need(self) -> Need:
        return Need(
            self.role,
            self.age,
            self.municipality,
            self.language,
            dict(self.topics),
            self.severity,
            offers_named=tuple(self.offers_named),
            offers_tried=tuple(self.offers_tried),
            urgent_now=self.urgent_now,
            in_school=self.in_school,
            expecting=self.expecting,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ChatState:
        """Rebuild a stored state; anything malformed (an old version, a damaged row) starts afresh."""
        if not isinstance(data, dict):
            return cls()
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        try:
            state = _STATE_SHAPE.validate_python(known)
        except ValidationError:
            return cls(language=known["language"] if known.get("language") in LANGUAGES else "da")
        return state if state._is_sound() else cls(language=state.language if state.language in LANGUAGES else "da")

    def _is_sound(self) -> bool:
        """Every answer is one the flow could have given."""
        steps = (None, RESULT, OWN_WORDS_STEP, *QUESTION_BY_ID)
        return (
            self.language in LANGUAGES
            and self.step in steps
            and self.resume in steps
            and self.resume != DANGER
            and (self.role is None or self.role in QUESTION_BY_ID["role"].options)
            and (self.age is None or 0 <= self.age <= MAX_AGE)
            and (self.severity is None or 1 <= self.severity <= 4)
            and all(item in QUESTION_BY_ID for item in (*self.skipped, *self.history))
            and self.page >= 0
        )


_STATE_SHAPE = TypeAdapter(ChatState)


@dataclass(frozen=True)
class Event:
    """One thing a person did: pressed a button, sent a command, wrote or changed a text."""

    kind: str  # "start" | "command" | "button" | "text" | "edited" | "unsupported"
    value: str = ""  # the text, the button data or the command
    argument: str = ""  # command arguments, the /start payload, or a photo's caption

    @property
    def words(self) -> str:
        """Whatever the person wrote in this event: all of it passes the crisis check."""
        if self.kind in ("text", "edited"):
            return self.value or ""
        if self.kind in ("start", "command", "unsupported"):
            return self.argument or ""
        return ""


class Words(Protocol):
    """What the flow needs of the words (`bot.render.Renderer`): labels to read typed answers by,
    and the templates the Draft is put into at the end. Given to `Conversation`, never imported here,
    so the decisions above know nothing of how they are worded."""

    def label(self, key: str, language: str) -> str: ...
    def option_label(self, question_id: str, option: Any, state: Any) -> str: ...
    def dont_know_words(self) -> set[str]: ...
    def message(self, name: str, language: str, **context: Any) -> str: ...
    def reply(self, name: str, language: str, state: Any = None, options: Any = (), **context: Any) -> Reply: ...
    def result(self, state: Any, offers: list, out_of_group: str | None, options: Any = ()) -> Reply: ...
    def crisis(self, state: Any, crisis: Any, offers: list, options: Any = ()) -> Reply: ...
    def state_view(self, state: Any) -> dict[str, Any]: ...


class Conversation:
    def __init__(self, guide: Guide, words_for: Callable[[Catalogue], Words]):
        """`words_for` makes the words for a catalogue: `Conversation(guide, Renderer)`."""
        self.guide = guide
        self.catalogue = guide.catalogue
        self.words_for = words_for
        self.renderer = words_for(guide.catalogue)
        self._navigation = self._navigation_words()

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Serve a new (already validated) catalogue from the next message on."""
        guide, renderer = Guide(catalogue), self.words_for(catalogue)  # built first, so a failure changes nothing
        self.guide, self.catalogue, self.renderer = guide, catalogue, renderer

    def _navigation_words(self) -> dict[str, str]:
        words = {}
        for data in NAVIGATION:
            for language in LANGUAGES:
                words[normalise(self.renderer.label(f"button.{data}", language))] = data
        return {word: data for word, data in words.items() if word}

    # ------------------------------------------------------------------ entry point
    def handle(self, state: ChatState, event: Event) -> tuple[ChatState, Reply]:
        """Decide what to say (message keys and button data), then put it into words once."""
        state, draft = self._decide(state, event)
        return state, self._render(state, draft)

    def _decide(self, state: ChatState, event: Event) -> tuple[ChatState, Draft]:
        words = event.words
        written_in = written_language(words) if event.kind == "text" else None
        if written_in and written_in != state.language:  # answer in the language the person writes in
            state, draft = self._decide(replace(state, language=written_in), event)
            safety_first = draft.keys[:1] in (("crisis",), ("ask_danger",))  # nothing goes before those
            return state, draft if safety_first else draft.prepend("language_noticed")
        if words.strip():
            check = safety.check(words)  # safety first: before anything else reads the words
            if check.risk != "none":
                known = ChatState(language=state.language) if event.kind == "start" else state
                known = self._learn(known, words)
                return self._crisis(known, check) if check.risk == "crisis" else self._ask_danger(known, check)
        if event.kind == "text":
            return self._on_text(state, event.value)
        if event.kind == "edited":
            return state, Draft()  # a changed message is read for danger only; otherwise a deliberate silence
        if event.kind == "start":
            return self._on_start(state, event.argument)
        if event.kind == "command":
            return self._on_command(state, event.value, event.argument)
        if event.kind == "button":
            return self._on_button(state, event.value)
        return state, self._say("unsupported", self._resume_options())

    # ------------------------------------------------------------------ commands
    def _on_start(self, state: ChatState, payload: str) -> tuple[ChatState, Draft]:
        fresh = ChatState(language=state.language)
        municipality = self._municipality_from_word(payload) if payload else None
        if municipality:
            fresh.municipality = municipality
        fresh, draft = self._ask_next(fresh)
        return fresh, draft.prepend("welcome")

    def _on_command(self, state: ChatState, command: str, argument: str) -> tuple[ChatState, Draft]:
        command = command.lower().lstrip("/").split("@")[0]
        if command in START_COMMANDS:
            return self._on_start(state, argument if command == "start" else "")
        if command in HELP_COMMANDS:
            return state, self._say("help", self._resume_options())
        if command in LANGUAGE_COMMANDS:
            if argument.lower() in LANGUAGES:
                return self._switch_language(state, argument.lower())
            return state, self._say("choose_language", [[f"lang:{code}" for code in LANGUAGES]])
        if command in DELETE_COMMANDS:
            fresh = ChatState(language=state.language)  # forget every answer; keep only the language
            return fresh, replace(self._say("deleted", [["new"]]), forget=True)
        if command in NOW_COMMANDS:
            return self._crisis(state, None)
        return state, self._say("unknown_command", self._resume_options())

    def _switch_language(self, state: ChatState, language: str) -> tuple[ChatState, Draft]:
        state = replace(state, language=language)
        new_state, draft = self._continue(state)
        return new_state, draft.prepend("language_set")

    # ------------------------------------------------------------------ buttons
    def _on_button(self, state: ChatState, data: str) -> tuple[ChatState, Draft]:
        kind, _, value = data.partition(":")
        if kind == "a":
            question_id, _, answer = value.partition(":")
            return self._answer(state, question_id, answer)
        if kind == "lang" and value in LANGUAGES:
            return self._switch_language(state, value)
        if kind == "new":
            return self._on_start(state, "")
        if kind == "help":
            return self._crisis(state, None)
        if kind == "more":
            return self._result(replace(state, page=state.page + 1))
        if kind == "change" and value in QUESTION_BY_ID and QUESTION_BY_ID[value].required:
            return self._ask(state, QUESTION_BY_ID[value])
        if kind == "back":
            return self._back(state)
        if kind == "go":
            return self._continue(state)
        return self._stale(state)

    def _stale(self, state: ChatState) -> tuple[ChatState, Draft]:
        """Forged or outdated button data: say so kindly and carry on where we were."""
        new_state, draft = self._continue(state)
        return new_state, draft.prepend("stale_button")

    def _answer(self, state: ChatState, question_id: str, answer: str) -> tuple[ChatState, Draft]:
        """A press (or typed words read as one) on an option of a question."""
        question = QUESTION_BY_ID.get(question_id)
        if question is None:
            return self._stale(state)
        action = question.action(answer)
        if action is not None:
            return self._act(state, action)
        if answer == DONT_KNOW and question.can_skip:
            state = replace(state, skipped=[*state.skipped, question.id], history=[*state.history, question.id])
            return self._after_answer(state)
        if answer == OWN_WORDS and f"a:{question.id}:{OWN_WORDS}" in question.extra:
            state = replace(state, step=OWN_WORDS_STEP)
            return state, self._say("ask_own_words")
        if question.field is None or answer not in self._options(question):
            return self._stale(state)
        return self._after_answer(self._set(state, question, answer))

    def _set(self, state: ChatState, question: Question, answer: str) -> ChatState:
        """A question's option as its answer: the state field filled, the question in the history."""
        return self._fill(state, question, question.convert(answer))

    @staticmethod
    def _fill(state: ChatState, question: Question, value: Any) -> ChatState:
        changes: dict[str, Any] = {
            "skipped": [item for item in state.skipped if item != question.id],
            "history": [*state.history, question.id],
            "page": 0,
        }
        if question.field is not None:
            changes[question.field] = value
        return replace(state, **changes)

    def _after_answer(self, state: ChatState) -> tuple[ChatState, Draft]:
        """Ask what is still missing; the result only when nothing is (an old button cannot skip a question).
        An old button pressed while the direct question waits is taken, and the direct question stays."""
        if state.step == DANGER:
            return self._ask(state, QUESTION_BY_ID[DANGER])
        return self._ask_next(state)

    def _back(self, state: ChatState) -> tuple[ChatState, Draft]:
        if not state.history:
            return self._continue(state)
        last = QUESTION_BY_ID[state.history[-1]]
        state = replace(state, history=state.history[:-1], skipped=[item for item in state.skipped if item != last.id])
        if last.field is not None:
            empty: dict[str, Any] = {last.field: {} if isinstance(getattr(state, last.field), dict) else None}
            state = replace(state, **empty)
        return self._ask(state, last)

    # ------------------------------------------------------------------ the direct question
    def _ask_danger(self, state: ChatState, check: safety.CrisisCheck) -> tuple[ChatState, Draft]:
        resume = state.resume if state.step == DANGER else state.step
        state = replace(state, resume=resume, about_other=check.about_other)
        return self._ask(state, QUESTION_BY_ID[DANGER])

    def _act(self, state: ChatState, action: str) -> tuple[ChatState, Draft]:
        """Ja / Ved ikke: the crisis answer. Nej: go on where we were, pointing to the line in the
        footer (the children's line, or for parents and staff the adults' line)."""
        about_other = state.about_other
        step = state.resume if state.step == DANGER else state.step
        state = replace(state, step=step, resume=None, about_other=False)
        if action == "crisis":
            return self._crisis(state, safety.CrisisCheck(safety.SUICIDE, about_other))
        state, draft = self._continue(state)
        return state, draft.prepend("danger_no", about_other=about_other)

    # ------------------------------------------------------------------ free text
    def _on_text(self, state: ChatState, text: str) -> tuple[ChatState, Draft]:
        text = (text or "")[:MAX_TEXT_LENGTH]
        if not text.strip():
            return state, self._say("empty_text", self._resume_options())
        question = self._on_screen(state)
        if question is not None:
            typed = self._read_typed(state, question, text)
            if typed is not None:
                return self._on_typed(state, question, typed, text)
        navigation = self._navigation.get(normalise(text))
        if navigation and not (question is not None and question.actions):  # the direct question is answered first
            return self._on_button(state, navigation)
        before = state
        state = self._learn(state, text)
        asked = QUESTION_BY_ID.get(state.step or "")
        if asked is not None and asked.actions:  # a question that steers is asked until it is answered
            return self._ask(state, asked, first=("not_answer", {}))
        if state == before:
            if asked is not None and asked.unclear == "not_answer":
                return self._ask(state, asked, first=("not_answer", {}))
            return self._not_understood(state)
        if state.step == RESULT or (state.topics != before.topics and self._missing(state) is None):
            return self._result(replace(state, page=0))
        return self._ask_next(state)

    def _on_typed(self, state: ChatState, question: Question, typed: tuple[str, Any], text: str) -> tuple[ChatState, Draft]:
        kind, value = typed
        if kind == "range":  # "5" at a question with three options: the same screen again, with a hint
            if state.step == RESULT:
                state, draft = self._result(state)
                return state, draft.prepend("pick_number", count=value)
            return self._ask(state, question, first=("pick_number", {"count": value}))
        if kind == "out_of_range":  # an age of 999
            return self._ask(state, question, first=("not_answer", {}))
        if kind == "number":
            return self._after_answer(self._learn(self._fill(state, question, value), text))
        if value == DONT_KNOW or question.action(value) is not None or question.field is None:
            return self._answer(state, question.id, value)
        return self._after_answer(self._learn(self._set(state, question, value), text))

    def _on_screen(self, state: ChatState) -> Question | None:
        """The question whose buttons the person sees: the step's, or severity on the result card."""
        if state.step == RESULT:
            return SEVERITY if state.severity is None and state.page == 0 else None
        return QUESTION_BY_ID.get(state.step or "")

    def _read_typed(self, state: ChatState, question: Question, text: str) -> tuple[str, Any] | None:
        """Typed words as an answer to the question on screen: '9', 'fjorten', 'forælder', 'ved ikke', '2'."""
        words = normalise(text)
        if not words:
            return None
        if _NEGATIVE_NUMBER.fullmatch(text):  # "-1" is not option 1, nor an age
            return ("out_of_range", None) if question.reads == "number" else ("range", len(self._options(question)))
        if words in self.renderer.dont_know_words() and (question.can_skip or question.action(DONT_KNOW)):
            return ("option", DONT_KNOW)
        if question.reads == "number":
            number = int(words) if words.isdigit() else NUMBER_WORDS.get(words)
            if number is None:
                return None
            low, high = question.numbers
            return ("number", question.convert(str(number))) if low <= number <= high else ("out_of_range", None)
        options = self._options(question)
        if words.isdigit():
            number = int(words)
            return ("option", options[number - 1]) if 1 <= number <= len(options) else ("range", len(options))
        labels = {}
        for option in options:
            label = self.renderer.option_label(question.id, option, state)
            labels[normalise(label.split("–")[0])] = option  # "Meget" for "Meget – det fylder i skole …"
            labels[normalise(label)] = option
        labels.pop("", None)
        if words in labels:
            return ("option", labels[words])
        if question.fuzzy and len(words) >= 3:
            best = process.extractOne(words, list(labels), scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF)
            if best:
                return ("option", labels[best[0]])
        return None

    def _learn(self, state: ChatState, text: str) -> ChatState:
        """What the words say, merged into what is known by the one rule `route` uses too."""
        understanding = self.guide.understander.read(text[:MAX_TEXT_LENGTH], state.language)
        need = self.guide.merge(state.need(), understanding, self.guide.catalogue)
        learned = replace(
            state,
            role=need.role,
            age=need.age,
            municipality=need.municipality,
            severity=need.severity,
            topics=need.topics,
            offers_named=list(need.offers_named),
            offers_tried=list(need.offers_tried),
            urgent_now=need.urgent_now,
            in_school=need.in_school,
            expecting=need.expecting,
        )
        return replace(learned, page=0) if learned.topics != state.topics else learned

    def _not_understood(self, state: ChatState) -> tuple[ChatState, Draft]:
        return state, self._say("not_understood", [[f"a:topic:{OWN_WORDS}"], *self._resume_options()])

    # ------------------------------------------------------------------ asking
    def _missing(self, state: ChatState) -> Question | None:
        return next((question for question in ASKED if not state.answered(question.id)), None)

    def _ask_next(self, state: ChatState) -> tuple[ChatState, Draft]:
        question = self._missing(state)
        if question is None:
            return self._result(replace(state, page=0))
        return self._ask(state, question)

    def _continue(self, state: ChatState) -> tuple[ChatState, Draft]:
        """Go on where the person was, with everything that is known."""
        if state.step == RESULT:
            return self._result(state)
        if state.step == OWN_WORDS_STEP and not state.topics:
            return state, self._say("ask_own_words")
        question = QUESTION_BY_ID.get(state.step or "")
        if question is not None and (question.field is None or not state.answered(question.id)):
            return self._ask(state, question)
        return self._ask_next(state)

    def _options(self, question: Question) -> tuple[str, ...]:
        if question.source == "municipalities":
            return tuple(self.catalogue.municipality_buttons())
        if question.source == "topics":
            return tuple(self.catalogue.button_topics())
        return question.options

    def _ask(
        self, state: ChatState, question: Question, first: tuple[str, dict[str, Any]] | None = None
    ) -> tuple[ChatState, Draft]:
        state = replace(state, step=question.id)
        if question.field is not None:
            state = replace(state, resume=None, about_other=False)
        rows = self._rows(question)
        extra = list(question.extra)
        if question.can_skip or question.action(DONT_KNOW):
            extra.append(f"a:{question.id}:{DONT_KNOW}")
        if state.history and question.field is not None:
            extra.append("back")
        rows += [extra] if extra else []
        draft = self._say(question.message, rows, **{name: getattr(state, name) for name in question.context})
        if first is not None:
            key, values = first
            draft = draft.prepend(key, **values)
        return state, draft

    def _rows(self, question: Question) -> list[list[str]]:
        """A question's options as button data, laid out in its columns."""
        buttons = [f"a:{question.id}:{option}" for option in self._options(question)]
        return [buttons[start : start + question.columns] for start in range(0, len(buttons), question.columns)]

    def _say(self, key: str, rows=(), **context: Any) -> Draft:
        return Draft((Say(key, context),), tuple(tuple(row) for row in rows if row))

    def _resume_options(self) -> list[list[str]]:
        return [["go", "new"]]

    # ------------------------------------------------------------------ answers
    def _result(self, state: ChatState) -> tuple[ChatState, Draft]:
        """Page 0: the best offer as a card, with at most six buttons. Page 1 ("Flere tilbud"): the
        alternatives one line each, and the buttons to change an answer."""
        assessment = self.guide.assess("", state.need(), limit=None)
        ranked = [item.offer for item in assessment.ranked]
        page = min(state.page, 1) if len(ranked) > 1 else 0
        state = replace(state, step=RESULT, resume=None, about_other=False, page=page)
        rows: list[list[str]] = []
        if page == 0:
            if state.severity is None:
                rows += self._rows(SEVERITY)
            if len(ranked) > 1:
                rows.append(["more"])
            rows.append(["new"])
        else:
            rows.append([f"change:{question.id}" for question in ASKED[:2]])
            rows.append([f"change:{question.id}" for question in ASKED[2:]])
            rows.append(["new", "help"])
        key = "result" if page == 0 else "more_offers"
        return state, self._say(key, rows, offers=ranked, out_of_group=self._out_of_group(state, ranked))

    def _out_of_group(self, state: ChatState, ranked: list) -> str | None:
        """Why the person sees national lines only, so we can say it kindly (ids from municipalities.yaml)."""
        if state.age is not None and state.age >= 18:
            return "adult"
        if state.municipality == self.catalogue.other_municipality:
            return "other_municipality"
        if self.catalogue.has_local_offers(state.municipality) and not any(not offer.is_national for offer in ranked):
            return "no_local_offer"
        return None

    def _crisis(self, state: ChatState, crisis: safety.CrisisCheck | None) -> tuple[ChatState, Draft]:
        # The same routes as `route --jsonl` gives; crisis None is the "I need help now" button.
        if state.step == DANGER:  # the crisis answer answers the direct question too
            state = replace(state, step=state.resume, resume=None, about_other=False)
        offers = crisis_offers(self.catalogue, state.need(), crisis.kind if crisis else None)
        return state, self._say("crisis", [["go"], ["new"]], crisis=crisis, offers=offers)

    # ------------------------------------------------------------------ words, once, at the end
    def _render(self, state: ChatState, draft: Draft) -> Reply:
        if not draft.says:
            return Reply((), forget=draft.forget)
        language = state.language
        options = [[Option(data, self._label(data, state)) for data in row] for row in draft.rows]
        *before, last = draft.says
        if last.key in ("result", "more_offers"):
            reply = self.renderer.result(
                state, last.context["offers"], out_of_group=last.context["out_of_group"], options=options
            )
        elif last.key == "crisis":
            reply = self.renderer.crisis(state, last.context["crisis"], last.context["offers"], options=options)
        else:
            reply = self.renderer.reply(last.key, language, state=state, options=options, **last.context)
        view = self.renderer.state_view(state)
        for say in reversed(before):  # pieces said first (welcome, "Jeg skriver nu på dansk") have no footer
            reply = reply.prepend(self.renderer.message(say.key, language, state=view, **say.context), say.key)
        return replace(reply, keys=draft.keys, forget=draft.forget)

    def _label(self, data: str, state: ChatState) -> str:
        """What a button says, from its data alone."""
        kind, _, rest = data.partition(":")
        if kind == "lang":
            return self.renderer.label(f"language.{rest}", state.language)
        if kind == "a":
            question_id, _, option = rest.partition(":")
            question = QUESTION_BY_ID.get(question_id)
            if option == DONT_KNOW:
                return self.renderer.label("dont_know", state.language)
            if question is not None and data not in question.extra:
                return self.renderer.option_label(question_id, option, state)
        return self.renderer.label(f"button.{data.replace(':', '_')}", state.language)

    def _municipality_from_word(self, word: str) -> str | None:
        word = normalise(word)
        if word in self.catalogue.municipalities:
            return word
        return self.guide.understander.read(word).municipality
