"""The concept lexicons of the crisis check, read from `knowledge/safety.yaml`.

Each concept ("dying", "means", "now", "story", ...) is a list of words and short phrases per
language, written for a clinician to read and edit. They are compiled into one pattern per
concept, against the folded form of a message (`bot.text.normalise`). The rules in
`bot/safety.py` combine the concepts; the learned model sees them too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text import fold, normalise

LEXICON_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "safety.yaml"

_GAP = r"(?:\w+ ){0,3}"  # " .. " in an entry: up to three words in between
_NUMBER = "#"


def _token_pattern(token: str) -> str:
    if token == _NUMBER:
        return r"\d+"
    if token.endswith("*"):
        return re.escape(fold(token[:-1])) + r"\w*"  # not written out: "unalive*" stays itself
    return re.escape(normalise(token))


def _entry_pattern(entry: str) -> str:
    """One entry as a regular expression, anchored at a word start when used by `Lexicon`."""
    pattern = ""
    for token in str(entry).split():
        if token == "..":
            pattern += _GAP
        else:
            pattern += _token_pattern(token) + " "
    return pattern.rstrip() + r"(?!\w)"


@dataclass(frozen=True)
class _Entry:
    concept: str
    pattern: re.Pattern[str] | None  # None: a single plain word, found by the index alone


class Lexicon:
    """All concepts, indexed by an entry's first word so a message is read once, word by word.

    The entries of one concept that start with the same word (or prefix) are joined into one
    pattern, so a common first word ("i", "ikke") costs one match per concept, not one per entry.
    (One big regular expression per concept was 4 ms a message; this is well under 0.1 ms.)
    """

    def __init__(self, concepts: dict[str, list[str]]):
        self.names = list(concepts)
        by_word: dict[str, dict[str, list[str | None]]] = {}  # first word -> concept -> patterns
        by_prefix: dict[str, dict[str, list[str | None]]] = {}
        for concept, entries in concepts.items():
            for entry in entries:
                tokens = str(entry).split()
                first = tokens[0]
                plain = not first.endswith("*") and first != _NUMBER
                single_word = len(tokens) == 1 and plain and len(normalise(first).split()) == 1
                pattern = None if single_word else _entry_pattern(entry)
                if first.endswith("*"):
                    by_prefix.setdefault(fold(first[:-1]), {}).setdefault(concept, []).append(pattern)
                else:
                    key = first if first == _NUMBER else normalise(first)
                    for word in key.split()[:1]:  # a written-out first word ("dont" -> "do not")
                        by_word.setdefault(word, {}).setdefault(concept, []).append(pattern)
        self._by_word = {word: _joined(by_concept) for word, by_concept in by_word.items()}
        self._by_prefix = {prefix: _joined(by_concept) for prefix, by_concept in by_prefix.items()}
        self._prefix_lengths = sorted({len(prefix) for prefix in self._by_prefix})
        self._candidates: dict[str, tuple[_Entry, ...]] = {}

    def find(self, message: str) -> frozenset[str]:
        found: set[str] = set()
        position = 0
        for word in message.split(" "):
            for entry in self._candidates_for(word):
                if entry.concept in found:
                    continue
                if entry.pattern is None or entry.pattern.match(message, position):
                    found.add(entry.concept)
            position += len(word) + 1
        return frozenset(found)

    def _candidates_for(self, word: str) -> tuple[_Entry, ...]:
        cached = self._candidates.get(word)
        if cached is None:
            candidates = list(self._by_word.get(_NUMBER if word.isdigit() else word, ()))
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                candidates += self._by_prefix.get(word[:length], ())
            cached = tuple(candidates)
            if len(self._candidates) < 65536:  # bounded: arbitrary input must not grow memory
                self._candidates[word] = cached
        return cached


def _joined(by_concept: dict[str, list[str | None]]) -> tuple[_Entry, ...]:
    """One entry per concept: None when a plain word alone is enough, else its patterns as one."""
    return tuple(
        _Entry(concept, None if None in patterns else re.compile("|".join(f"(?:{pattern})" for pattern in patterns)))
        for concept, patterns in by_concept.items()
    )


class LexiconError(ValueError):
    """knowledge/safety.yaml cannot be read: the message names the file and, where known, the line."""


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """The concepts of `knowledge/safety.yaml`, all languages together (messages mix them)."""
    try:
        with path.open(encoding="utf-8") as stream:  # a stream, so YAML errors name the file
            data = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        concepts = data["concepts"]
        return Lexicon(
            {
                name: [str(entry) for entries in by_language.values() for entry in entries or []]
                for name, by_language in concepts.items()
            }
        )
    except yaml.YAMLError as error:
        raise LexiconError(f"{path}: {error}") from error
    except (TypeError, KeyError, AttributeError) as error:
        raise LexiconError(
            f"{path}: expected `concepts:` with, for each concept, lists of words per language ({error})"
        ) from error


def lexicon_digest(path: Path = LEXICON_FILE) -> str:
    """A fingerprint of the lexicon file: the model records the one it was trained with."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def concept_names() -> list[str]:
    return load_lexicon().names


def find_concepts(message: str) -> frozenset[str]:
    """The concepts present in an already normalised message (single spaces between words)."""
    return load_lexicon().find(message)
