"""The conversation, declared in one place, and the one function every channel calls.

    QUESTIONS  the questions, in the order missing answers are asked
    handle()   (state, event) -> (new state, Reply)

Free text is welcome at any step: it is checked for crisis first, then read for every answer
it holds ("min søn på 9 i Grenaa vil ikke i skole" answers role, age, municipality and topic),
and the guide asks only what is still missing. The person's own words are never stored: the
state keeps only the answers (role, municipality, age, topic ids, severity) and the step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pydantic import TypeAdapter, ValidationError
from rapidfuzz import fuzz, process

from bot import safety
from bot.catalogue import Catalogue
from bot.guide import Guide
from bot.render import Renderer
from bot.reply import Option, Reply
from bot.routing import Need, crisis_offers
from bot.schema import LANGUAGES
from bot.text import normalise

MAX_TEXT_LENGTH = 2000  # longer messages are read up to here; the crisis check sees it all
RESULT = "result"
OWN_WORDS_STEP = "topic_text"  # waiting for the person to describe it in their own words
MAX_AGE = 120
OWN_WORDS = "own"
DONT_KNOW = "x"


@dataclass(frozen=True)
class Question:
    id: str  # also the state field it fills
    options: tuple[str, ...]
    can_skip: bool = True
    columns: int = 1


# The order in which missing answers are asked. Severity ("how much does it fill?") is asked
# on the result card, so a person reaches an answer in four taps and can then sharpen it.
QUESTIONS: tuple[Question, ...] = (
    Question("role", ("youth", "parent", "professional"), can_skip=False),
    Question("municipality", ()),  # options come from the catalogue (municipalities.yaml)
    Question("age", (*(str(age) for age in range(18)), "18"), columns=6),
    Question("topic", ()),  # options come from the catalogue's button topics
)
SEVERITY = Question("severity", ("1", "2", "3", "4"), columns=2)
QUESTION_BY_ID = {question.id: question for question in (*QUESTIONS, SEVERITY)}


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

    def answered(self, question_id: str) -> bool:
        if question_id in self.skipped:
            return True
        if question_id == "topic":
            return bool(self.topics)
        return getattr(self, question_id) is not None

    def need(self) -> Need:
        return Need(self.role, self.age, self.municipality, self.language, dict(self.topics), self.severity)

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
        return (
            self.language in LANGUAGES
            and self.step in (None, RESULT, OWN_WORDS_STEP, *QUESTION_BY_ID)
            and (self.role is None or self.role in QUESTION_BY_ID["role"].options)
            and (self.age is None or 0 <= self.age <= MAX_AGE)
            and (self.severity is None or 1 <= self.severity <= 4)
            and all(item in QUESTION_BY_ID for item in (*self.skipped, *self.history))
            and self.page >= 0
        )


_STATE_SHAPE = TypeAdapter(ChatState)


@dataclass(frozen=True)
class Event:
    """One thing a person did: pressed a button, sent a command, or wrote text."""

    kind: str  # "start" | "command" | "button" | "text" | "unsupported"
    value: str = ""
    argument: str = ""


class Conversation:
    def __init__(self, guide: Guide, renderer: Renderer | None = None):
        self.guide = guide
        self.catalogue = guide.catalogue
        self.renderer = renderer or Renderer(guide.catalogue)
        self.topic_buttons = tuple(self.catalogue.button_topics())

    def use_catalogue(self, catalogue: Catalogue) -> None:
        """Serve a new (already validated) catalogue from the next message on."""
        guide, renderer = Guide(catalogue), Renderer(catalogue)  # built first, so a failure changes nothing
        self.guide, self.catalogue, self.renderer = guide, catalogue, renderer
        self.topic_buttons = tuple(catalogue.button_topics())

    # ------------------------------------------------------------------ entry point
    def handle(self, state: ChatState, event: Event) -> tuple[ChatState, Reply]:
        if event.kind == "text":
            return self._on_text(state, event.value)
        if event.kind == "start":
            return self._on_start(state, event.argument)
        if event.kind == "command":
            return self._on_command(state, event.value, event.argument)
        if event.kind == "button":
            return self._on_button(state, event.value)
        return state, self.renderer.reply("unsupported", state.language, options=self._resume_options(state))

    # ------------------------------------------------------------------ commands
    def _on_start(self, state: ChatState, payload: str) -> tuple[ChatState, Reply]:
        fresh = ChatState(language=state.language)
        municipality = self._municipality_from_word(payload) if payload else None
        if municipality:
            fresh.municipality = municipality
        welcome = self.renderer.message("welcome", fresh.language)
        fresh, next_reply = self._ask_next(fresh)
        return fresh, next_reply.prepend(welcome)

    def _on_command(self, state: ChatState, command: str, argument: str) -> tuple[ChatState, Reply]:
        command = command.lower().lstrip("/").split("@")[0]
        if command in ("start", "ny", "new", "reset"):
            return self._on_start(state, argument if command == "start" else "")
        if command in ("hjaelp", "help", "hjalp", "hjælp"):
            return state, self.renderer.reply("help", state.language, options=self._resume_options(state))
        if command in ("sprog", "language", "lang", "sprak", "språk"):
            if argument.lower() in LANGUAGES:
                return self._switch_language(state, argument.lower())
            options = [[Option(f"lang:{code}", self.renderer.label(f"language.{code}", state.language)) for code in LANGUAGES]]
            return state, self.renderer.reply("choose_language", state.language, options=options)
        if command in ("slet", "delete", "radera"):
            return ChatState(), self.renderer.reply("deleted", state.language, options=[[self._option("new", state)]])
        if command in ("akut", "nu", "now"):
            return self._crisis(state, None)
        return state, self.renderer.reply("unknown_command", state.language, options=self._resume_options(state))

    def _switch_language(self, state: ChatState, language: str) -> tuple[ChatState, Reply]:
        state = replace(state, language=language)
        confirmation = self.renderer.message("language_set", language)
        new_state, reply = self._repeat_step(state)
        return new_state, reply.prepend(confirmation)

    # ------------------------------------------------------------------ buttons
    def _on_button(self, state: ChatState, data: str) -> tuple[ChatState, Reply]:
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
        if kind == "change" and value in QUESTION_BY_ID:
            return self._ask(state, QUESTION_BY_ID[value])
        if kind == "back":
            return self._back(state)
        if kind == "go":
            return self._repeat_step(state)
        # Forged or outdated button data: say so kindly and carry on where we were.
        stale = self.renderer.message("stale_button", state.language)
        new_state, reply = self._repeat_step(state)
        return new_state, reply.prepend(stale)

    def _answer(self, state: ChatState, question_id: str, answer: str) -> tuple[ChatState, Reply]:
        question = QUESTION_BY_ID.get(question_id)
        if question is None:
            return self._on_button(state, "stale")
        if answer == DONT_KNOW and question.can_skip:
            state = replace(state, skipped=[*state.skipped, question_id], history=[*state.history, question_id])
            return self._after_answer(state, question_id)
        if question_id == "topic" and answer == OWN_WORDS:
            return replace(state, step=OWN_WORDS_STEP), self.renderer.reply("ask_own_words", state.language, state=state)
        parsed = self._parse_option(question, answer)
        if parsed is None:
            return self._on_button(state, "stale")
        state = self._set(state, question_id, parsed)
        state = replace(state, history=[*state.history, question_id])
        return self._after_answer(state, question_id)

    def _after_answer(self, state: ChatState, question_id: str) -> tuple[ChatState, Reply]:
        if question_id == "severity" or state.step == RESULT:
            return self._result(replace(state, page=0))
        return self._ask_next(state)

    def _parse_option(self, question: Question, answer: str) -> Any:
        if question.id == "topic":
            return answer if answer in self.topic_buttons else None
        if answer not in self._options_for(question):
            return None
        return int(answer) if question.id in ("age", "severity") else answer

    def _set(self, state: ChatState, question_id: str, value: Any) -> ChatState:
        skipped = [item for item in state.skipped if item != question_id]
        if question_id == "topic":
            return replace(state, topics={value: 3.0}, skipped=skipped)
        return replace(state, **{question_id: value}, skipped=skipped)

    def _back(self, state: ChatState) -> tuple[ChatState, Reply]:
        if not state.history:
            return self._repeat_step(state)
        last = state.history[-1]
        state = replace(state, history=state.history[:-1], skipped=[item for item in state.skipped if item != last])
        state = replace(state, topics={}) if last == "topic" else replace(state, **{last: None})
        return self._ask(state, QUESTION_BY_ID[last])

    # ------------------------------------------------------------------ free text
    def _on_text(self, state: ChatState, text: str) -> tuple[ChatState, Reply]:
        text = text or ""
        crisis = safety.check(text)
        if crisis.is_crisis:  # safety first: before anything else reads the message
            return self._crisis(state, crisis)
        text = text[:MAX_TEXT_LENGTH]
        if not text.strip():
            return state, self.renderer.reply("empty_text", state.language, options=self._resume_options(state))
        before = state
        state = self._apply_option_words(state, text)
        understanding = self.guide.understander.read(text, state.language)
        state = replace(
            state,
            role=state.role or understanding.role,
            age=state.age if state.age is not None else understanding.age,
            municipality=state.municipality or understanding.municipality,
            severity=understanding.severity or state.severity,
        )
        if understanding.topics:
            state = replace(state, topics=understanding.topics, page=0)
        if state == before:
            return self._not_understood(state)
        if state.step == RESULT or (understanding.topics and self._missing(state) is None):
            return self._result(replace(state, page=0))
        return self._ask_next(state)

    def _apply_option_words(self, state: ChatState, text: str) -> ChatState:
        """A typed answer to the current question: '9', 'forælder', 'Grenaa', 'ved ikke'."""
        question = QUESTION_BY_ID.get(state.step or "")
        if question is None:
            return state
        words = normalise(text)
        if words in self.renderer.dont_know_words() and question.can_skip:
            return replace(state, skipped=[*state.skipped, question.id], history=[*state.history, question.id])
        if question.id in ("age", "severity") and words.isdigit():
            value = int(words)
            limit = MAX_AGE if question.id == "age" else 4
            if (question.id == "severity" and 1 <= value <= limit) or (question.id == "age" and value <= limit):
                return self._set(replace(state, history=[*state.history, question.id]), question.id, value)
            return state
        options = self._options_for(question)
        labels = {normalise(self.renderer.option_label(question.id, option, state)): option for option in options}
        best = process.extractOne(words, list(labels), scorer=fuzz.WRatio, score_cutoff=88) if words else None
        if best and len(words) >= 3:
            return self._set(
                replace(state, history=[*state.history, question.id]), question.id, self._parse_option(question, labels[best[0]])
            )
        return state

    def _not_understood(self, state: ChatState) -> tuple[ChatState, Reply]:
        options = [[self._option("a:topic:own", state)], *self._resume_options(state)]
        return state, self.renderer.reply("not_understood", state.language, state=state, options=options)

    # ------------------------------------------------------------------ asking
    def _missing(self, state: ChatState) -> Question | None:
        return next((question for question in QUESTIONS if not state.answered(question.id)), None)

    def _ask_next(self, state: ChatState) -> tuple[ChatState, Reply]:
        question = self._missing(state)
        if question is None:
            return self._result(replace(state, page=0))
        return self._ask(state, question)

    def _repeat_step(self, state: ChatState) -> tuple[ChatState, Reply]:
        if state.step == RESULT:
            return self._result(state)
        if state.step in QUESTION_BY_ID:
            return self._ask(state, QUESTION_BY_ID[state.step])
        return self._ask_next(state)

    def _options_for(self, question: Question) -> tuple[str, ...]:
        if question.id == "municipality":
            return tuple(self.catalogue.municipality_buttons())
        return self.topic_buttons if question.id == "topic" else question.options

    def _ask(self, state: ChatState, question: Question) -> tuple[ChatState, Reply]:
        state = replace(state, step=question.id)
        buttons = [
            Option(f"a:{question.id}:{option}", self.renderer.option_label(question.id, option, state))
            for option in self._options_for(question)
        ]
        rows = [buttons[start : start + question.columns] for start in range(0, len(buttons), question.columns)]
        extra = []
        if question.id == "topic":
            extra.append(self._option("a:topic:own", state))
        if question.can_skip:
            extra.append(Option(f"a:{question.id}:{DONT_KNOW}", self.renderer.label("dont_know", state.language)))
        if state.history:
            extra.append(self._option("back", state))
        rows += [extra] if extra else []
        return state, self.renderer.reply(f"ask_{question.id}", state.language, state=state, options=rows)

    def _option(self, data: str, state: ChatState) -> Option:
        return Option(data, self.renderer.label(f"button.{data.replace(':', '_')}", state.language))

    def _resume_options(self, state: ChatState) -> list[list[Option]]:
        return [[self._option("go", state), self._option("new", state)]]

    # ------------------------------------------------------------------ answers
    def _result(self, state: ChatState) -> tuple[ChatState, Reply]:
        state = replace(state, step=RESULT)
        assessment = self.guide.assess("", state.need(), limit=None)
        ranked = [item.offer for item in assessment.ranked]
        page = ranked[state.page * 3 : state.page * 3 + 3] or ranked[:3]
        if not ranked[state.page * 3 : state.page * 3 + 3]:
            state = replace(state, page=0)
        rows = [[self._option("more", state)]] if len(ranked) > (state.page + 1) * 3 else []
        if state.severity is None:
            buttons = [
                Option(f"a:severity:{level}", self.renderer.option_label("severity", level, state)) for level in SEVERITY.options
            ]
            rows[:0] = [buttons[start : start + SEVERITY.columns] for start in range(0, len(buttons), SEVERITY.columns)]
        rows.append([self._option(f"change:{question.id}", state) for question in QUESTIONS[:2]])
        rows.append([self._option(f"change:{question.id}", state) for question in QUESTIONS[2:]])
        rows.append([self._option("new", state), self._option("help", state)])
        reply = self.renderer.result(state, page, out_of_group=self._out_of_group(state, ranked), options=rows)
        return state, reply

    def _out_of_group(self, state: ChatState, ranked: list) -> str | None:
        """Why the person sees national lines only, so we can say it kindly."""
        if state.age is not None and state.age >= 18:
            return "adult"
        if state.municipality == self.catalogue.other_municipality:
            return "other_municipality"
        if self.catalogue.has_local_offers(state.municipality) and not any(not offer.is_national for offer in ranked):
            return "no_local_offer"
        return None

    def _crisis(self, state: ChatState, crisis: safety.CrisisCheck | None) -> tuple[ChatState, Reply]:
        # The same routes as `route --jsonl` gives; crisis None is the "I need help now" button.
        offers = crisis_offers(self.catalogue, state.need(), crisis.kind if crisis else None)
        options = [[self._option("go", state)], [self._option("new", state)]]
        return state, self.renderer.crisis(state, crisis, offers, options=options)

    def _municipality_from_word(self, word: str) -> str | None:
        word = normalise(word)
        if word in self.catalogue.municipalities:
            return word
        return self.guide.understander.read(word).municipality
