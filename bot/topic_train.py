"""Train the learned topic signal and score it by cross-validation.

    .venv/bin/python -m bot.topic_train          # retrain -> knowledge/topic-model.json
    .venv/bin/python -m bot.topic_train --cv     # k-fold figures, nothing written

Training data: every topic phrase in knowledge/topics.yaml (labelled with its topic), and the
routing cases kept in the repository (tests/eval/routing-dev.yaml, tests/cases/routing-extra.yaml
and the tuning parts of the blind-written tests/cases/routing-blind*.yaml - never their held-aside
parts), each labelled with the topic its expected offers share (or the case's own `topic:`). Only the
repository's files are used, so the model is the same on every machine. Needs scikit-learn
(a dev dependency); the guide itself only reads the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import topic_model
from bot.catalogue import Catalogue, load_catalogue
from bot.topic_model import MODEL_PATH, TopicModel, features

ROOT = Path(__file__).resolve().parent.parent
CASE_FILES = (ROOT / "tests" / "eval" / "routing-dev.yaml", ROOT / "tests" / "cases" / "routing-extra.yaml")
# Blind-written cases (each file split on its own; the first one's split is as it always was).
BLIND_FILES = tuple(
    ROOT / "tests" / "cases" / name
    for name in (
        "routing-blind.yaml",
        "routing-blind-r1.yaml",
        "routing-blind-train2.yaml",
        "routing-blind-train3.yaml",
        "routing-blind-train4.yaml",
        "routing-blind-train5.yaml",
        "routing-blind-h2.yaml",
        "routing-blind-h3.yaml",
        "routing-blind-h4.yaml",
        "routing-blind-h5.yaml",
        "routing-blind-train6.yaml",
        "routing-blind-train7.yaml",
        "routing-blind-h6.yaml",
        "routing-blind-h7.yaml",
        "routing-blind-h8.yaml",
        "routing-blind-h9.yaml",
    )
)
BLIND_ASIDE_SHARE = 0.3
BLIND_SEED = 2026
C = 4.0  # inverse regularisation of the logistic regression
CASE_WEIGHT = 2.0  # a whole message written by a person counts more than one listed phrase
_SMALLEST_WEIGHT = 0.1  # weights below this are left out of the shipped file (size and speed)
FOLDS = 5
MIN_DF = 2  # a feature seen once teaches nothing general


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    topic: str
    weight: float


def repository_cases() -> list[dict]:
    """The cases to train and tune on: dev, extra, and the blind cases not held aside."""
    cases: list[dict] = []
    for path in CASE_FILES:
        cases += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return cases + blind_split()[0]


def blind_split(path: Path | None = None) -> tuple[list[dict], list[dict]]:
    """The blind-written cases as (to tune on, held aside), of one file or of all of them: a
    fixed 30% of each file's cases per municipality (seeded shuffle, in file order before it)
    is held aside, never trained or tuned on, and scored only as a whole
    (`python -m bench.bench_routing --held-aside`)."""
    if path is None:
        tune: list[dict] = []
        aside: list[dict] = []
        for one in BLIND_FILES:
            one_tune, one_aside = blind_split(one)
            tune += one_tune
            aside += one_aside
        return tune, aside
    if not path.exists():
        return [], []
    cases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    by_municipality: dict[str, list[dict]] = {}
    for case in cases:
        by_municipality.setdefault(str(case.get("municipality")), []).append(case)
    aside_ids: set[str] = set()
    rng = random.Random(BLIND_SEED)
    for municipality in sorted(by_municipality):
        group = list(by_municipality[municipality])
        rng.shuffle(group)
        aside_ids |= {case["id"] for case in group[: round(BLIND_ASIDE_SHARE * len(group))]}
    return [case for case in cases if case["id"] not in aside_ids], [case for case in cases if case["id"] in aside_ids]


def case_topic(case: dict, catalogue: Catalogue) -> str | None:
    """The topic a routing case is about: its own `topic:`, else the topic most of its expected
    offers list, earliest first (an offer lists its most central topics first)."""
    if case.get("topic"):
        return case["topic"]
    offers = [
        catalogue.offers_by_id[offer_id]
        for offer_id in case["expect"].get("offers_any", [])
        if offer_id in catalogue.offers_by_id
    ]
    votes: dict[str, tuple[int, float]] = {}
    for offer in offers:
        for position, topic in enumerate(offer.topics):
            count, positions = votes.get(topic, (0, 0.0))
            votes[topic] = (count + 1, positions + position)
    if not votes:
        return None
    return min(votes, key=lambda topic: (-votes[topic][0], votes[topic][1], topic))


def phrase_examples(catalogue: Catalogue) -> list[Example]:
    return [
        Example(phrase, language, topic_id, 1.0)
        for topic_id, topic in catalogue.topics.items()
        for language, phrases in topic.words.items()
        for phrase in phrases
    ]


def case_examples(cases: list[dict], catalogue: Catalogue) -> list[Example]:
    examples = []
    for case in cases:
        if case["expect"].get("crisis"):
            continue
        topic = case_topic(case, catalogue)
        if topic:
            examples.append(Example(case["text"], case.get("lang") or "da", topic, CASE_WEIGHT))
    return examples


def fingerprint(examples: list[Example]) -> str:
    """Changes whenever the training data or the settings change (a test compares it)."""
    settings = [C, CASE_WEIGHT, MIN_DF, _SMALLEST_WEIGHT, list(topic_model._NGRAM_SIZES), topic_model._MIN_NGRAM_WORD]
    data = json.dumps([[e.text, e.language, e.topic, e.weight] for e in examples] + settings, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def fit(examples: list[Example]) -> TopicModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=lambda feature_list: feature_list, sublinear_tf=True, lowercase=False, min_df=MIN_DF)
    matrix = vectorizer.fit_transform([features(example.text, example.language) for example in examples])
    classifier = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    classifier.fit(matrix, [example.topic for example in examples], sample_weight=[example.weight for example in examples])
    names = vectorizer.get_feature_names_out()
    weights: dict[str, dict[int, float]] = {}
    for column, name in enumerate(names):
        row = {
            index: round(float(weight), 3)
            for index, weight in enumerate(classifier.coef_[:, column])
            if abs(weight) >= _SMALLEST_WEIGHT
        }
        if row:
            weights[str(name)] = row
    return TopicModel(
        topics=tuple(str(topic) for topic in classifier.classes_),
        idf={str(name): round(float(idf), 4) for name, idf in zip(names, vectorizer.idf_, strict=True) if str(name) in weights},
        weights=weights,
        intercepts=tuple(round(float(value), 4) for value in classifier.intercept_),
        fingerprint=fingerprint(examples),
    )


def save(model: TopicModel, path: Path = MODEL_PATH) -> None:
    data = {
        "about": "Learned topic signal; made by `python -m bot.topic_train` - do not edit by hand.",
        "fingerprint": model.fingerprint,
        "topics": list(model.topics),
        "intercepts": list(model.intercepts),
        "idf": model.idf,
        "weights": {feature: {str(index): weight for index, weight in row.items()} for feature, row in model.weights.items()},
    }
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")


def training_examples(catalogue: Catalogue, cases: list[dict] | None = None) -> list[Example]:
    return phrase_examples(catalogue) + case_examples(repository_cases() if cases is None else cases, catalogue)


def folds(cases: list[dict], count: int = FOLDS, seed: int = 11) -> list[list[dict]]:
    """Cases shuffled once and dealt into `count` folds (a fixed seed: the same figures each run)."""
    shuffled = list(cases)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[start::count] for start in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.topic_train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true", help="print cross-validated routing figures; write nothing")
    arguments = parser.parse_args(argv)
    catalogue = load_catalogue()
    if arguments.cv:
        from bench.bench_routing import print_cross_validation

        print_cross_validation(catalogue)
        return 0
    examples = training_examples(catalogue)
    model = fit(examples)
    save(model)
    print(f"{MODEL_PATH.relative_to(ROOT)}: {len(examples)} examples, {len(model.topics)} topics, {len(model.weights)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
