"""Train the crisis check's learned signal and write `knowledge/models/safety.json`.

    python3 -m bot.train_safety        (re-runs itself inside .venv, installing the dev tools if needed)

Training cases: the evaluation set `tests/eval/crisis-dev.yaml` (+ `../shared/eval/`) and the
project's own `tests/cases/safety-extra.yaml`. The decision thresholds are chosen on the training
cases only, by an inner cross-validation (each case scored by a model that did not see it), so
the same `fit` can be scored honestly by an outer cross-validation (tests/test_safety_cv.py).
Needs scikit-learn (a dev tool of the project); the bot itself never imports it.
"""

from __future__ import annotations

if __name__ == "__main__":  # from a plain Python: re-run inside the project's venv, where scikit-learn is
    from _bootstrap import ensure_environment

    ensure_environment("dev")

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

from bot import safety
from bot.safety_concepts import concept_names, lexicon_digest
from bot.safety_model import MODEL_FILE, LinearTextModel, char_ngrams

ROOT = Path(__file__).resolve().parent.parent
EXTRA_CASES = ROOT / "tests" / "cases" / "safety-extra.yaml"

# Targets the thresholds are chosen for, with a margin below the acceptance limits (2% and 6%).
CALM_CRISIS_TARGET = 0.01
CALM_FLAGGED_TARGET = 0.05
_GRID = [round(float(value), 2) for value in np.arange(0.5, 0.96, 0.05)]  # the model at least as sure as not


def dev_cases() -> list[dict]:
    """The evaluation cases as [{text, lang, label: crisis|calm, ...}]."""
    from tests.eval_cases import crisis_dev_cases  # the test helpers know where the shared copy lives

    cases = crisis_dev_cases()
    return [{**case, "label": label} for label in ("crisis", "calm") for case in cases[label]]


def extra_cases() -> list[dict]:
    """The project's own cases, written separately from the evaluation set."""
    data = yaml.safe_load(EXTRA_CASES.read_text(encoding="utf-8")) if EXTRA_CASES.is_file() else {}
    return [{**case, "label": label} for label in ("crisis", "calm") for case in (data or {}).get(label) or []]


def _features(evidences: list[safety.Evidence]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True)
    matrix = vectorizer.fit_transform([found.message for found in evidences])
    return vectorizer, matrix


def _concept_matrix(evidences: list[safety.Evidence], names: list[str]) -> np.ndarray:
    return np.array([[1.0 if name in found.concepts else 0.0 for name in names] for found in evidences])


def _fit_linear(evidences: list[safety.Evidence], labels: np.ndarray, with_concepts: bool = True) -> LinearTextModel:
    """TF-IDF over letter n-grams (+ the concept hits, unless `with_concepts` is off) and logistic regression."""
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    names = concept_names() if with_concepts else []
    vectorizer, ngram_matrix = _features(evidences)
    features = hstack([ngram_matrix, _concept_matrix(evidences, names)]).tocsr() if names else ngram_matrix
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    classifier.fit(features, labels)
    coefficients = classifier.coef_[0]
    vocabulary = vectorizer.vocabulary_
    ngram_weights = {gram: (float(vectorizer.idf_[index]), float(coefficients[index])) for gram, index in vocabulary.items()}
    offset = len(vocabulary)
    concept_weights = {name: float(coefficients[offset + index]) for index, name in enumerate(names)}
    return LinearTextModel(ngram_weights, concept_weights, float(classifier.intercept_[0]))


def _out_of_fold_probabilities(
    evidences: list[safety.Evidence], labels: np.ndarray, extra: tuple[list, np.ndarray], folds: int = 5
) -> np.ndarray:
    """Each case's probability from a model trained on the other folds (+ the extra cases)."""
    from sklearn.model_selection import StratifiedKFold

    extra_evidences, extra_labels = extra
    probabilities = np.zeros(len(evidences))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        model = _fit_linear([evidences[i] for i in train] + extra_evidences, np.concatenate([labels[train], extra_labels]))
        for i in test:
            probabilities[i] = model.probability(evidences[i].message, evidences[i].concepts)
    return probabilities


def _choose_thresholds(evidences: list[safety.Evidence], labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """The thresholds that catch the most crises while calm messages stay under the targets.

    Vectorised `safety.risk_level`: 0 none, 1 ask, 2 crisis for every case and threshold set.
    """
    category = np.array([found.category for found in evidences])
    is_calm, is_crisis = labels == 0, labels == 1
    calm_count = max(1, int(is_calm.sum()))
    best, best_key = dict(safety.DEFAULT_THRESHOLDS), None
    for crisis_at in _GRID:
        crisis = (category == safety.STRONG) | ((probabilities >= crisis_at) & (category == safety.LOWERED))
        for lowered_at, worrying_at, ask_at in itertools.product(_GRID, repeat=3):
            if max(lowered_at, worrying_at, ask_at) > crisis_at:
                continue
            ask_threshold = np.where(
                category == safety.LOWERED, lowered_at, np.where(category == safety.WORRYING, worrying_at, ask_at)
            )
            flagged = crisis | (category == safety.HOPELESS) | (probabilities >= ask_threshold)
            calm_crisis = (crisis & is_calm).sum() / calm_count
            calm_flagged = (flagged & is_calm).sum() / calm_count
            # Within the targets: most crises caught. Outside them (possible on a small fold): the least excess.
            excess = max(0.0, calm_crisis - CALM_CRISIS_TARGET) + max(0.0, calm_flagged - CALM_FLAGGED_TARGET)
            key = (-excess, int((flagged & is_crisis).sum()), int((crisis & is_crisis).sum()), -calm_flagged, ask_at, crisis_at)
            if best_key is None or key > best_key:
                best_key = key
                best = {"crisis": crisis_at, "lowered": lowered_at, "worrying": worrying_at, "ask": ask_at}
    return best


def _labelled(cases: list[dict]) -> tuple[list[safety.Evidence], np.ndarray]:
    return [safety.evidence(case["text"]) for case in cases], np.array([int(case["label"] == "crisis") for case in cases])


def fit(cases: list[dict], extra: Sequence[dict] = ()) -> LinearTextModel:
    """Train on `cases` + `extra` only. The thresholds are chosen on `cases` (evaluation-style
    messages) by inner cross-validation; `extra` only ever adds training examples."""
    evidences, labels = _labelled(cases)
    extra_evidences, extra_labels = _labelled(list(extra))
    model = _fit_linear(evidences + extra_evidences, np.concatenate([labels, extra_labels]))
    probabilities = _out_of_fold_probabilities(evidences, labels, (extra_evidences, extra_labels))
    model.thresholds = _choose_thresholds(evidences, labels, probabilities)
    model.lexicon_digest = lexicon_digest()
    return model


def cross_validate(cases: list[dict], extra: Sequence[dict] = (), folds: int = 5, seed: int = 1) -> list[dict]:
    """Stratified k-fold over `cases` (by label and language): train on the other folds (+ `extra`),
    score the held-out fold. Every case is scored by a model that never saw it; `extra` is only
    ever trained on. Returns, per case, the combined risk, the rules' risk alone and the model's
    probability alone."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{case['label']}-{case.get('lang')}" for case in cases]
    results: list[dict] = [{} for _ in cases]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(cases)), strata):
        training = [cases[i] for i in train]
        model = fit(training, extra)
        letters_only = _fit_linear(*_labelled(training + list(extra)), with_concepts=False)
        for i in test:
            found = safety.evidence(cases[i]["text"])
            probability = model.probability(found.message, found.concepts)
            results[i] = {
                "risk": safety.decide(found, probability, model.thresholds).risk,
                "rules_risk": safety.decide(found, None, model.thresholds).risk,
                "probability": probability,
                "letters_probability": letters_only.probability(found.message, frozenset()),
            }
    return results


def main() -> None:
    cases, extra = dev_cases(), extra_cases()
    model = fit(cases, extra)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    MODEL_FILE.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    size = MODEL_FILE.stat().st_size // 1024
    print(f"trained on {len(cases)} + {len(extra)} extra cases; {len(model.ngram_weights)} n-grams; {size} KB")
    print(f"thresholds: {model.thresholds}")


if __name__ == "__main__":
    main()
