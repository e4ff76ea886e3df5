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
    stems = [stem(word, language) for word in words]
    found = [f"w:{word_stem}" for word_stem in stems]
    found += [f"b:{first}_{second}" for first, second in itertools.pairwise(stems)]
    for word in words:
        if len(word) < _MIN_NGRAM_WORD or word.isdigit():
            continue
        padded = f"<{word}>"
        for size in _NGRAM_SIZES:
            found += [f"c:{padded[start : start + size]}" for start in range(len(padded) - size + 1)]
    return found


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

    def __post_init__(self) -> None:
        rows = {feature: row for row, feature in enumerate(self.weights)}
        matrix = np.zeros((len(rows), len(self.topics)))
        for feature, row in rows.items():
            for index, weight in self.weights[feature].items():
                matrix[row, index] = weight
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "_matrix", matrix)
        object.__setattr__(self, "_intercepts", np.asarray(self.intercepts))

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
        counts = Counter(feature for feature in features(text, language) if feature in self._rows)
        if not counts:
            return {}
        values = np.array([(1 + math.log(count)) * self.idf[feature] for feature, count in counts.items()])
        rows = self._matrix[[self._rows[feature] for feature in counts]]
        # An elementwise product and a sum rather than `@`: a BLAS call may wake its threads,
        # and on a busy machine waiting for them costs more than this small product.
        scores = self._intercepts + (rows * values[:, None]).sum(axis=0) / math.sqrt(float((values * values).sum()))
        exponentials = np.exp(scores - scores.max())
        probabilities = exponentials / exponentials.sum()
        return dict(zip(self.topics, probabilities.tolist(), strict=True))
