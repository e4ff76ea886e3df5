"""The concept lexicons of the crisis check, read from `knowledge/safety.yaml`.

Each concept ("dying", "means", "now", "story", ...) is a list of words and short phrases per
language, written for a clinician to read and edit. They are compiled into one pattern per
concept, against the folded form of a message (`bot.text.normalise`). The rules in
`bot/safety.py` combine the concepts; the learned model sees them too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text import fold, normalise

LEXICON_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "safety.yaml"

_GAP = r"(?:\w+ ){0,3}"  # " .. " in an entry: up to three words in between


def _entry_pattern(entry: str) -> str:
    parts = []
    for token in str(entry).split():
        if token == "..":
            parts.append(None)
        elif token == "#":
            parts.append(r"\d+")
        elif token.endswith("*"):
            parts.append(re.escape(fold(token[:-1])) + r"\w*")  # not written out: "unalive*" stays itself
        else:
            parts.append(re.escape(normalise(token)))
    pattern = ""
    for part in parts:
        if part is None:
            pattern += " " + _GAP if pattern else _GAP
            continue
        if pattern and not pattern.endswith("}"):
            pattern += " "
        pattern += part
    return rf"(?<!\w){pattern}(?!\w)"


def _compile_concept(entries: list[str]) -> re.Pattern[str]:
    # Longest first, so "lige nu" is preferred to "nu" when both could match at a place.
    unique = sorted({_entry_pattern(entry) for entry in entries}, key=len, reverse=True)
    return re.compile("|".join(unique))


@lru_cache(maxsize=4)
def load_concepts(path: Path = LEXICON_FILE) -> dict[str, re.Pattern[str]]:
    """{concept name: compiled pattern} with all languages together (messages mix them)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        name: _compile_concept([entry for entries in by_language.values() for entry in entries or []])
        for name, by_language in data["concepts"].items()
    }


def concept_names() -> list[str]:
    return list(load_concepts())


def find_concepts(message: str) -> frozenset[str]:
    """The concepts present in an already normalised message."""
    return frozenset(name for name, pattern in load_concepts().items() if pattern.search(message))
