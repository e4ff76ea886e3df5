"""The learned topic signal: a small linear model over word stems and letter n-grams.

It sits beside the topic words (`understand.TopicIndex`) and catches what a parent writes in
words the topic lists do not have ("min mands drikkeri", "han er blevet så indelukket").
It is trained by `python -m bot.topic_train` (scikit-learn: TF-IDF + logistic regression) from
the topic phrases in knowledge/topics.yaml and the routing cases in the repository, and shipped
as plain numbers in knowledge/topic-model.json. Reading a message here needs no scikit-learn
and no network: the message's features are looked up and multiplied with the weights in one
numpy product, a few hundredths of a millisecond.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.text import normalise, stem

MODEL_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "topic-model.json"
_NGRAM_SIZES = (4,)  # 3-grams as well cost twice the time and gave nothing in cross-validation
_MIN_NGRAM_WORD = 4  # letter n-grams of short words ("er", "og") say nothing about a topic


def features(text: str, language: str = "da") -> list[str]:
    """What the model sees of a message: stems, pairs of stems, and letter n-grams of words.

    Letter n-grams carry typos and compounds ("drikkeri", "skilsmissebørn") to the stems they
    share with known words. The same function makes the training and the reading features.
    """
    words = normalise(text).split()
    return [feature for word in words for feature in word_features(word, language)] + pair_features(words, language)


@lru_cache(maxsize=65536)
def word_features(word: str, language: str) -> tuple[str, ...]:
    """One word's stem and letter n-grams (cached: most words of a message were seen before)."""
    found = [f"w:{stem(word, language)}"]
    if len(word) >= _MIN_NGRAM_WORD and not word.isdigit():
        padded = f"<{word}>"
        for size in _NGRAM_SIZES:
            found += [f"c:{padded[start : start + size]}" for start in range(len(padded) - size + 1)]
    return tuple(found)


def pair_features(words: list[str], language: str) -> list[str]:
    stems = [stem(word, language) for word in words]
    return [f"b:{first}_{second}" for first, second in itertools.pairwise(stems)]


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[str, ...]
    idf: dict[str, float]
    weights: dict[str, dict[int, float]]  # feature -> {topic index: weight}, small ones left out
    intercepts: tuple[float, ...]
    fingerprint: str
    _rows: dict[str, int] = field(init=False, repr=False, compare=False)
    _matrix: np.ndarray = field(init=False, repr=False, compare=False)  # feature row x topic, dense
    _intercepts: np.ndarray = field(init=False, repr=False, compare=False)
    _idf: np.ndarray = field(init=False, repr=False, compare=False)  # by row
    _word_rows: dict[tuple[str, str], tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = {feature: row for row, feature in enumerate(self.weights)}
        matrix = np.zeros((len(rows), len(self.topics)))
        for feature, row in rows.items():
            for index, weight in self.weights[feature].items():
                matrix[row, index] = weight
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "_matrix", matrix)
        object.__setattr__(self, "_intercepts", np.asarray(self.intercepts))
        object.__setattr__(self, "_idf", np.array([self.idf[feature] for feature in rows]))
        object.__setattr__(self, "_word_rows", {})

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicModel | None:
        """The shipped model, or None when there is none (the topic words still work)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                topics=tuple(data["topics"]),
                idf=data["idf"],
                weights={
                    feature: {int(index): weight for index, weight in row.items()} for feature, row in data["weights"].items()
                },
                intercepts=tuple(data["intercepts"]),
                fingerprint=data["fingerprint"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def probabilities(self, text: str, language: str = "da") -> dict[str, float]:
        """Each topic's probability for this message (softmax over the topics); {} when the
        message has no word the model knows, so an unknown word is never given a topic."""
        words = normalise(text).split()
        found = [row for word in words for row in self._rows_of_word(word, language)]
        found += [self._rows[pair] for pair in pair_features(words, language) if pair in self._rows]
        if not found:
            return {}
        counts = Counter(found)
        index = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = (1 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self._idf[index]
        rows = self._matrix[index]
        # An elementwise product and a sum rather than `@`: a BLAS call may wake its threads,
        # and on a busy machine waiting for them costs more than this small product.
        scores = self._intercepts + (rows * values[:, None]).sum(axis=0) / math.sqrt(float((values * values).sum()))
        exponentials = np.exp(scores - scores.max())
        probabilities = exponentials / exponentials.sum()
        return dict(zip(self.topics, probabilities.tolist(), strict=True))

    def _rows_of_word(self, word: str, language: str) -> tuple[int, ...]:
        key = (word, language)
        if key not in self._word_rows:
            if len(self._word_rows) > 50_000:  # bounded: arbitrary input must not grow memory
                self._word_rows.clear()
            self._word_rows[key] = tuple(
                self._rows[feature] for feature in word_features(word, language) if feature in self._rows
            )
        return self._word_rows[key]
