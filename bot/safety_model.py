"""The learned signal of the crisis check: a linear model over letter sequences and words.

Trained by `python3 -m bot.train_safety` (scikit-learn: TF-IDF over character 2–5-grams inside
words and over words and word pairs, and logistic regression; concept weights are supported but
not trained, see `bot.train_safety.MODEL_SEES_CONCEPTS`), and shipped as plain weights in
`knowledge/models/safety.json`. Scoring here is pure Python, so the bot does not import
scikit-learn (which alone takes seconds) and start-up stays fast.

The model reads at most `MAX_MODEL_CHARS` of a message; the rules read all of it.
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

MODEL_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "models" / "safety.json"
NGRAM_RANGE = (2, 5)
MAX_MODEL_CHARS = 1500


def char_ngrams(message: str) -> list[str]:
    """Character n-grams inside each word, padded with a space (as scikit-learn's char_wb)."""
    return [gram for word in message[:MAX_MODEL_CHARS].split() for gram in _word_ngrams(word)]


@lru_cache(maxsize=65536)
def _word_ngrams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    length = len(padded)
    low, high = NGRAM_RANGE
    return tuple(padded[start : start + size] for size in range(low, min(high, length) + 1) for start in range(length - size + 1))


def word_grams(message: str) -> list[str]:
    """Whole words and pairs of neighbouring words (the word-level TF-IDF beside the letters)."""
    words = message[:MAX_MODEL_CHARS].split()
    return words + [f"{first} {second}" for first, second in itertools.pairwise(words)]


@dataclass
class LinearTextModel:
    """P(crisis) = sigmoid(intercept + Σ coef·tfidf(letter n-gram) + Σ coef·tfidf(word) + Σ coef·concept).

    "Concepts" also carry the rules' verdict (`category:strong`, ...), so the model learns how far
    to trust each rule.
    """

    ngram_weights: dict[str, tuple[float, float]]  # n-gram -> (idf, coefficient)
    concept_weights: dict[str, float]
    intercept: float
    word_weights: dict[str, tuple[float, float]] = field(default_factory=dict)  # word or word pair -> (idf, coefficient)
    thresholds: dict[str, float] = field(default_factory=dict)  # see bot.safety.DEFAULT_THRESHOLDS
    lexicon_digest: str = ""  # of the knowledge/safety.yaml it was trained with
    training_digest: str = ""  # of the cases it was trained on (bot.train_safety.training_digest)
    # A second model, trained only on written-out expressions: is what surrounds them calm? (bot.safety.risk_level)
    context: LinearTextModel | None = None
    _cache: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)  # word -> its known rows

    def __post_init__(self) -> None:
        # Each table as a row index and two arrays, so a message is scored with a few numpy
        # operations instead of a Python loop over its couple of hundred n-grams.
        self._rows, self._idf, self._coefficients = _as_arrays(self.ngram_weights)
        self._word_rows, self._word_idf, self._word_coefficients = _as_arrays(self.word_weights)

    def probability(self, message: str, concepts: frozenset[str]) -> float:
        rows = [row for word in message[:MAX_MODEL_CHARS].split() for row in self._known_rows(word)]
        score = self.intercept + _normalised_dot(rows, self._idf, self._coefficients)
        if self._word_rows:
            word_rows = [self._word_rows[gram] for gram in word_grams(message) if gram in self._word_rows]
            score += _normalised_dot(word_rows, self._word_idf, self._word_coefficients)
        score += sum(self.concept_weights.get(concept, 0.0) for concept in concepts)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def _known_rows(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is None:
            cached = tuple(self._rows[gram] for gram in _word_ngrams(word) if gram in self._rows)
            if len(self._cache) < 65536:  # bounded: arbitrary input must not grow memory
                self._cache[word] = cached
        return cached

    def to_json(self) -> dict:
        return {
            "format": 2,
            "ngram_range": list(NGRAM_RANGE),
            "intercept": self.intercept,
            "thresholds": self.thresholds,
            "lexicon_digest": self.lexicon_digest,
            "training_digest": self.training_digest,
            "concepts": self.concept_weights,
            "ngrams": {gram: [round(idf, 5), round(coef, 5)] for gram, (idf, coef) in sorted(self.ngram_weights.items())},
            "words": {gram: [round(idf, 5), round(coef, 5)] for gram, (idf, coef) in sorted(self.word_weights.items())},
            **({"context": self.context.to_json()} if self.context else {}),
        }

    @classmethod
    def from_json(cls, data: dict) -> LinearTextModel:
        return cls(
            ngram_weights={gram: (idf, coef) for gram, (idf, coef) in data["ngrams"].items()},
            concept_weights=dict(data["concepts"]),
            intercept=float(data["intercept"]),
            thresholds=dict(data["thresholds"]),
            lexicon_digest=data.get("lexicon_digest", ""),
            training_digest=data.get("training_digest", ""),
            word_weights={gram: (idf, coef) for gram, (idf, coef) in data.get("words", {}).items()},
            context=cls.from_json(data["context"]) if data.get("context") else None,
        )


def _as_arrays(weights: dict[str, tuple[float, float]]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    rows = {gram: row for row, gram in enumerate(weights)}
    idf = np.array([idf for idf, _ in weights.values()], dtype=float)
    coefficients = np.array([coefficient for _, coefficient in weights.values()], dtype=float)
    return rows, idf, coefficients


def _normalised_dot(rows: list[int], idf: np.ndarray, coefficients: np.ndarray) -> float:
    """Σ coef·tfidf over the rows found, TF-IDF with sublinear tf and an L2 norm (as scikit-learn's)."""
    if not rows:
        return 0.0
    counts = Counter(rows)
    index = np.fromiter(counts, dtype=np.intp, count=len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[index]
    # Sums of products rather than `@`: a BLAS call may wake its threads (see bot.topic_model).
    return float((values * coefficients[index]).sum()) / math.sqrt(float((values * values).sum()))


def load_model(path: Path = MODEL_FILE) -> LinearTextModel | None:
    """The shipped model, or None when it is missing (the rules still work alone)."""
    if not path.is_file():
        return None
    return LinearTextModel.from_json(json.loads(path.read_text(encoding="utf-8")))
