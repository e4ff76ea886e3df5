"""Train the crisis check's learned signal and write `knowledge/models/safety.json`.

    python3 -m bot.train_safety        (re-runs itself inside .venv, installing the dev tools if needed)

Training cases: the evaluation set `tests/eval/crisis-dev.yaml` (+ `../shared/eval/`), 70% of the
blind-written `tests/cases/crisis-blind.yaml` (the other 30% is held aside as an unseen check, see
`tests/eval_cases.py:crisis_blind_split`) and the project's own `tests/cases/safety-extra.yaml`.
The decision thresholds are chosen on the training cases only, by an inner cross-validation (each
case scored by a model that did not see it), so the same `fit` can be scored honestly by an outer
cross-validation (tests/test_safety_cv.py).
Needs scikit-learn (a dev tool of the project); the bot itself never imports it.
"""

from __future__ import annotations

if __name__ == "__main__":  # from a plain Python: re-run inside the project's venv, where scikit-learn is
    from _bootstrap import ensure_environment

    ensure_environment("dev")

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot import safety
from bot.safety_concepts import concept_names, lexicon_digest
from bot.safety_model import MODEL_FILE, LinearTextModel, char_ngrams, word_grams

ROOT = Path(__file__).resolve().parent.parent
EXTRA_CASES = ROOT / "tests" / "cases" / "safety-extra.yaml"

# Targets the thresholds are chosen for, with a margin below the acceptance limits (2% and 6%): the
# evaluation-style sets they are chosen on flag fewer calm messages than a new writer's (stop 15:
# 3.9% there, 7.4% on a new hold-out). Flagged 4% -> 4.5% at stop 18, leaving writer groups out with
# the capped COMBINED threshold: evaluation-style caught 98.5% -> 98.7% at 3.6% -> 3.8% flagged
# (at 4% the chooser overshot the target and raised every other threshold: all groups 95.4% caught).
CALM_CRISIS_TARGET = 0.01
CALM_FLAGGED_TARGET = 0.045
_ASK_GRID = [round(float(value), 2) for value in np.arange(0.3, 0.96, 0.05)]
# Where the rules saw nothing (OTHER), the model alone asks only when it finds a crisis more likely
# than not. The sets the thresholds are chosen on hold no everyday messages, the guide's main traffic:
# chosen freely the threshold fell to 0.4 and asked parents writing "he will not go to school and has
# a stomach ache" (0.43) whether a life was in danger. Cross-validated, the floor costs no crisis.
_MODEL_ALONE_GRID = [value for value in _ASK_GRID if value >= 0.5]
_CRISIS_GRID = [round(float(value), 2) for value in np.arange(0.5, 0.991, 0.03)]
# Where the rules combined concepts into a crisis (COMBINED), the model asks from a threshold of its
# own, which may lie far below the other categories': a combination the rules know ("en byrde for
# alle", "found my mate hanging") is rarely calm, and the shared threshold (0.3 and up) let crises
# with a low probability go unasked. Cross-validated over crisis-dev + the blind sets (stop 17):
# crisis-dev caught 95.5% -> 99.5%, evaluation-style sets 97.2% -> 98.0%, all 96.3% -> 96.5%, calm
# flagged unchanged. The threshold stays at or below 0.1: chosen freely it ranged 0.06-0.6 between
# fits, and leaving writer groups out (stop 18), capping it caught 98.1% -> 98.6% of the
# evaluation-style crises with their calm messages flagged unchanged (3.8%); all groups 96.1% -> 96.4%,
# flagged 8.3% -> 8.8%.
_COMBINED_GRID = [round(float(value), 2) for value in np.arange(0.02, 0.11, 0.02)]
# A written-out suicide, self-harm or violence expression is asked about instead of given the
# crisis answer when both the model (`strong`) and a context model trained only on written-out
# expressions (`strong_context`) find it calm; when both are all but certain (`certain_calm*`), the
# guide goes on. Both models read the explicit words masked (`safety.model_text`). The model alone
# could not be trusted with this: "min søn på 9 i Grenaa vil ikke leve mere" masked is everyday
# context, which the routine cases taught it is calm (0.002); the context model learned from
# written-out expressions only, where a parent quoting a child is a crisis. Chosen by leaving each
# writer group out (stop 16; 906 written-out expressions, 177 of them calm): with the final models
# (`python3 -m bench.bench_safety --writers`) 40 calm messages are asked instead of given the crisis
# answer and 22 let go; all 1,015 such crises still get the crisis answer. Stop 17, with 4 more sets
# (1,027 written-out expressions not always a crisis, 206 calm): widening the veto from (0.02, 0.3)
# to (0.05, 0.7) asks 40 more calm messages instead of giving them the crisis answer (127 -> 87; on
# the evaluation-style groups 10 -> 5) and asks one more crisis instead ("skal jeg bare sige det
# direkte? jeg vil begå selvmord": still caught, the question leads to the crisis answer).
STRONG_VETO, STRONG_VETO_CONTEXT = 0.05, 0.7
# Violence keeps the narrower veto: the wider one freed one calm message of 17 and asked instead of
# answering "mor har en ny kæreste som slår mig" (a 12-year-old; the model scores it 0.02).
STRONG_VIOLENCE_VETO, STRONG_VIOLENCE_VETO_CONTEXT = 0.02, 0.3
CERTAIN_CALM, CERTAIN_CALM_CONTEXT = 0.005, 0.1
# Hopelessness ("kan ikke mere", "orker ikke mere") is asked about unless the model is this sure it is
# calm ("orker ik mere matematik i dag"). Leaving writer groups out (stop 16): 24 of 63 such calm
# messages are no longer asked about, and all 159 such crises still are; at 0.05 one would have been lost.
HOPELESS_ASK = 0.03
CONTEXT_C = 10.0  # the context model learns from few cases: more regularised than the main one

# The thresholds are chosen on the cases written as evaluation sets (crisis-dev, and the retired
# hold-outs: rounds 1/2 in crisis-blind-2, stop 15's in crisis-blind-17 and -18, stop 16's in -22
# and -23, stop 17's in -26 and -27, stop 18's in -28 and -29): the other blind sets were written to
# be hard on purpose - their calm messages are near-misses by design - and choosing on them pushes
# every threshold up and misses crises people write in plainer words. They are trained on all the same.
THRESHOLD_SOURCES = ("crisis-dev", *(f"crisis-blind-{number}" for number in (2, 17, 18, 22, 23, 26, 27, 28, 29)))
REGULARISATION_C = 100.0  # inverse regularisation of the logistic regression (chosen by CV over held-out writers)
# Whether the model also sees the concept hits and the rules' verdict. It does not: the lexicons were
# written from the training cases, so there the concepts look more reliable than they are on a new
# writer's messages. Scored on each blind set in turn with the others as training (the lexicons not
# read against it), the model trusting the concepts caught fewer crises and flagged more calm ones.
MODEL_SEES_CONCEPTS = False
CATEGORIES = (safety.STRONG, safety.COMBINED, safety.LOWERED, safety.HOPELESS, safety.WORRYING, safety.OTHER, safety.TOO_SHORT)


def dev_cases() -> list[dict]:
    """The evaluation cases as [{text, lang, label: crisis|calm, ...}]."""
    from tests.eval_cases import crisis_dev_cases  # the test helpers know where the shared copy lives

    cases = crisis_dev_cases()
    return [{**case, "label": label} for label in ("crisis", "calm") for case in cases[label]]


def _labelled_cases(cases: dict[str, list[dict]]) -> list[dict]:
    return [{**case, "label": label} for label in ("crisis", "calm") for case in cases[label]]


def blind_cases() -> list[dict]:
    """All of the blind-written cases (for the cross-validation, where each fold is held out)."""
    from tests.eval_cases import crisis_blind_cases

    return _labelled_cases(crisis_blind_cases())


def blind_split() -> tuple[list[dict], list[dict]]:
    """(the 70% of the blind cases that is trained on, the 30% held aside)."""
    from tests.eval_cases import crisis_blind_split

    train, held = crisis_blind_split()
    return _labelled_cases(train), _labelled_cases(held)


def training_cases() -> list[dict]:
    """What the shipped model is trained on: crisis-dev + every blind-written case.

    The 30% held aside of each blind file is never read when the lexicons are widened, and is scored
    by a model trained without it (`held_aside_results`); the shipped model learns from all of it,
    because more people's wordings is what has helped most.
    """
    return dev_cases() + blind_cases()


def training_digest(cases: Sequence[dict], extra: Sequence[dict] = ()) -> str:
    """A fingerprint of what a model is trained on (texts and labels), so a stale shipped model is noticed."""
    import hashlib

    pairs = sorted((case["label"], case["text"]) for case in [*cases, *extra])
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def extra_cases() -> list[dict]:
    """The project's own cases, written separately from the evaluation set, and the routine messages."""
    data = yaml.safe_load(EXTRA_CASES.read_text(encoding="utf-8")) if EXTRA_CASES.is_file() else {}
    own = [{**case, "label": label} for label in ("crisis", "calm") for case in (data or {}).get(label) or []]
    return own + routine_cases()


def routine_cases() -> list[dict]:
    """Calm messages of the everyday kind the guide mostly gets: every routing case without danger
    (parents, young people and staff asking for help; not the held-aside routing cases), the button
    words typed out, ages and places.

    The crisis sets are rich in short crisis messages ("farvel", "bye") and poor in these, so without
    them a model learns that any short message is a worry, and asks a person who typed "14" or
    "Tilbage" whether they are in danger.
    """
    texts: dict[str, str] = {}  # text -> language
    from bot.topic_train import blind_split as routing_blind_split
    from tests.conftest import load_cases

    # the routing cases: the project's own and the parts of the blind-written ones routing tunes on
    routing = [*load_cases("routing-extra.yaml"), *routing_blind_split()[0]]
    for case in routing:
        if not case["expect"]["crisis"]:
            texts.setdefault(case["text"], case.get("lang") or "da")
    for language in ("da", "en", "sv"):
        words = yaml.safe_load((ROOT / "templates" / f"words.{language}.yaml").read_text(encoding="utf-8"))
        for label in words["labels"].values():
            if isinstance(label, str):
                texts.setdefault(label, language)
    municipalities = yaml.safe_load((ROOT / "knowledge" / "municipalities.yaml").read_text(encoding="utf-8"))
    for municipality in (municipalities.get("municipalities") or {}).values():
        for town in municipality.get("towns") or []:
            texts.setdefault(town, "da")
    for age in range(0, 31):
        texts.setdefault(str(age), "da")
    return [{"text": text, "lang": language, "label": "calm", "source": "routine"} for text, language in texts.items()]


def _features(evidences: list[safety.Evidence]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    messages = [found.model_message for found in evidences]
    letters = TfidfVectorizer(analyzer=char_ngrams, min_df=2, sublinear_tf=True)
    words = TfidfVectorizer(analyzer=word_grams, min_df=2, sublinear_tf=True)
    return letters, letters.fit_transform(messages), words, words.fit_transform(messages)


def feature_names() -> list[str]:
    """The concepts and the rules' verdicts, as the model sees them (`Evidence.features`), if it does."""
    return concept_names() + [f"category:{category}" for category in CATEGORIES] if MODEL_SEES_CONCEPTS else []


def _concept_matrix(evidences: list[safety.Evidence], names: list[str]) -> np.ndarray:
    return np.array([[1.0 if name in found.features else 0.0 for name in names] for found in evidences])


@dataclass
class _Fitted:
    """A scikit-learn fit: scored in bulk while training, turned into plain weights to ship."""

    letters: Any  # scikit-learn ships no type hints
    words: Any | None
    classifier: Any
    names: list[str]
    context: _Fitted | None = None  # the context model for written-out expressions

    def context_probabilities(self, evidences: list[safety.Evidence]) -> list[float | None]:
        """The context model's probability where it decides (`safety.context_decides`), else None."""
        chosen = [index for index, found in enumerate(evidences) if safety.context_decides(found)]
        result: list[float | None] = [None] * len(evidences)
        if self.context is not None and chosen:
            for index, probability in zip(chosen, self.context.probabilities([evidences[i] for i in chosen]), strict=True):
                result[index] = float(probability)
        return result

    def features(self, evidences: list[safety.Evidence]):
        from scipy.sparse import hstack

        messages = [found.model_message for found in evidences]
        blocks = [self.letters.transform(messages)]
        if self.words is not None:
            blocks += [self.words.transform(messages), _concept_matrix(evidences, self.names)]
        return hstack(blocks).tocsr()

    def probabilities(self, evidences: list[safety.Evidence]) -> np.ndarray:
        return self.classifier.predict_proba(self.features(evidences))[:, 1]

    def to_model(self) -> LinearTextModel:
        coefficients = self.classifier.coef_[0]
        letters = self.letters
        ngram_weights = {gram: (float(letters.idf_[i]), float(coefficients[i])) for gram, i in letters.vocabulary_.items()}
        intercept = float(self.classifier.intercept_[0])
        context = self.context.to_model() if self.context else None
        if self.words is None:
            return LinearTextModel(ngram_weights, {}, intercept, context=context)
        offset = len(letters.vocabulary_)
        words = self.words
        word_weights = {gram: (float(words.idf_[i]), float(coefficients[offset + i])) for gram, i in words.vocabulary_.items()}
        offset += len(words.vocabulary_)
        concept_weights = {name: float(coefficients[offset + index]) for index, name in enumerate(self.names)}
        return LinearTextModel(ngram_weights, concept_weights, intercept, word_weights=word_weights, context=context)


def _fit_sklearn(
    evidences: list[safety.Evidence], labels: np.ndarray, with_concepts: bool = True, regularisation: float = REGULARISATION_C
) -> _Fitted:
    """TF-IDF over letter n-grams and words (+ the concepts and rules, unless `with_concepts` is off), logistic regression."""
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    names = feature_names() if with_concepts else []
    letters, letter_matrix, words, word_matrix = _features(evidences)
    blocks = [letter_matrix] if not with_concepts else [letter_matrix, word_matrix, _concept_matrix(evidences, names)]
    classifier = LogisticRegression(
        C=regularisation, class_weight="balanced", solver="liblinear", dual=True, max_iter=5000, random_state=0
    )
    classifier.fit(hstack(blocks).tocsr(), labels)
    return _Fitted(letters, words if with_concepts else None, classifier, names)


def _fit_with_context(evidences: list[safety.Evidence], labels: np.ndarray) -> _Fitted:
    """The model of all messages, and beside it the context model for the written-out expressions among them."""
    fitted = _fit_sklearn(evidences, labels)
    chosen = [index for index, found in enumerate(evidences) if safety.context_decides(found)]
    if len(set(labels[chosen].tolist())) == 2:
        fitted.context = _fit_sklearn([evidences[i] for i in chosen], labels[chosen], regularisation=CONTEXT_C)
    return fitted


def _fit_linear(evidences: list[safety.Evidence], labels: np.ndarray, with_concepts: bool = True) -> LinearTextModel:
    return _fit_sklearn(evidences, labels, with_concepts).to_model()


def _out_of_fold_probabilities(
    evidences: list[safety.Evidence], labels: np.ndarray, extra: tuple[list, np.ndarray], folds: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Each case's probability (and context probability, NaN where it does not decide) from models
    trained on the other folds (+ the extra cases)."""
    from sklearn.model_selection import StratifiedKFold

    extra_evidences, extra_labels = extra
    probabilities = np.zeros(len(evidences))
    contexts = np.full(len(evidences), np.nan)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=7)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        fitted = _fit_with_context([evidences[i] for i in train] + extra_evidences, np.concatenate([labels[train], extra_labels]))
        held = [evidences[i] for i in test]
        probabilities[test] = fitted.probabilities(held)
        contexts[test] = [np.nan if value is None else value for value in fitted.context_probabilities(held)]
    return probabilities, contexts


def _choose_thresholds(
    evidences: list[safety.Evidence], labels: np.ndarray, probabilities: np.ndarray, contexts: np.ndarray
) -> dict[str, float]:
    """The thresholds that catch the most crises while calm messages stay under the targets.

    `safety.risk_level` over every threshold set of the grids. The rules' categories are disjoint
    and each threshold acts on one of them, so the counts are added up per category.
    """
    category = np.array([found.category for found in evidences])
    strong, hopeless = category == safety.STRONG, category == safety.HOPELESS
    combined, other = category == safety.COMBINED, category == safety.OTHER
    by_rules = np.isin(category, [safety.LOWERED, safety.WORRYING])
    always = strong & np.isin(np.array([str(found.rule_kind) for found in evidences]), list(safety.ALWAYS_CRISIS_KINDS))
    context = np.nan_to_num(contexts, nan=1.0)  # where the context model does not decide, it never overrules
    certain_calm = strong & ~always & (probabilities < CERTAIN_CALM) & (context < CERTAIN_CALM_CONTEXT)
    violence = np.array([found.rule_kind == safety.VIOLENCE for found in evidences], dtype=bool)
    vetoed = strong & ~always & (probabilities < STRONG_VETO) & (context < STRONG_VETO_CONTEXT)
    vetoed &= ~violence | ((probabilities < STRONG_VIOLENCE_VETO) & (context < STRONG_VIOLENCE_VETO_CONTEXT))
    is_calm, is_crisis = labels == 0, labels == 1
    calm_count = max(1, int(is_calm.sum()))

    def counts(chosen: np.ndarray, grid: list[float]) -> dict[float, tuple[int, int]]:
        """threshold -> (calm messages, crises) of `chosen` at or above it."""
        at_least = {at: chosen & (probabilities >= at) for at in grid}
        return {at: (int((found & is_calm).sum()), int((found & is_crisis).sum())) for at, found in at_least.items()}

    fixed_crisis = strong & ~vetoed & ~certain_calm
    fixed_flagged = (strong & ~certain_calm) | (hopeless & (probabilities >= HOPELESS_ASK))
    fixed = (int((fixed_flagged & is_calm).sum()), int((fixed_flagged & is_crisis).sum()))
    fixed_crises = (int((fixed_crisis & is_calm).sum()), int((fixed_crisis & is_crisis).sum()))
    combined_at_least = counts(combined, sorted({*_COMBINED_GRID, *_CRISIS_GRID}))
    rules_at_least, asked_at_least = counts(by_rules, _ASK_GRID), counts(other, _MODEL_ALONE_GRID)
    best, best_key = dict(safety.DEFAULT_THRESHOLDS), None
    for crisis_at in _CRISIS_GRID:
        calm_crisis = (fixed_crises[0] + combined_at_least[crisis_at][0]) / calm_count
        crises_answered = fixed_crises[1] + combined_at_least[crisis_at][1]
        for rules_at, ask_at, combined_at in itertools.product(_ASK_GRID, _MODEL_ALONE_GRID, _COMBINED_GRID):
            if max(rules_at, ask_at, combined_at) > crisis_at:
                continue
            parts = (fixed, combined_at_least[combined_at], rules_at_least[rules_at], asked_at_least[ask_at])
            calm_flagged = sum(part[0] for part in parts) / calm_count
            # Within the targets: most crises caught. Outside them: the least excess. Ties: the higher thresholds.
            excess = max(0.0, calm_crisis - CALM_CRISIS_TARGET) + max(0.0, calm_flagged - CALM_FLAGGED_TARGET)
            caught = sum(part[1] for part in parts)
            key = (-round(excess, 6), caught, crises_answered, -calm_flagged, ask_at, crisis_at, rules_at, combined_at)
            if best_key is None or key > best_key:
                best_key = key
                best = {"crisis": crisis_at, "combined": combined_at, "rules": rules_at, "ask": ask_at}
    return {
        **best,
        "strong": STRONG_VETO,
        "strong_context": STRONG_VETO_CONTEXT,
        "strong_violence": STRONG_VIOLENCE_VETO,
        "strong_violence_context": STRONG_VIOLENCE_VETO_CONTEXT,
        "certain_calm": CERTAIN_CALM,
        "certain_calm_context": CERTAIN_CALM_CONTEXT,
        "hopeless": HOPELESS_ASK,
    }


_EVIDENCE: dict[str, safety.Evidence] = {}


def _evidence(text: str) -> safety.Evidence:
    if text not in _EVIDENCE:
        _EVIDENCE[text] = safety.evidence(text)
    return _EVIDENCE[text]


def _labelled(cases: list[dict]) -> tuple[list[safety.Evidence], np.ndarray]:
    return [_evidence(case["text"]) for case in cases], np.array([int(case["label"] == "crisis") for case in cases])


def _fit(cases: list[dict], extra: Sequence[dict] = ()) -> tuple[_Fitted, dict[str, float]]:
    evidences, labels = _labelled(cases)
    extra_evidences, extra_labels = _labelled(list(extra))
    fitted = _fit_with_context(evidences + extra_evidences, np.concatenate([labels, extra_labels]))
    probabilities, contexts = _out_of_fold_probabilities(evidences, labels, (extra_evidences, extra_labels))
    chosen = np.array([case.get("source", "crisis-dev") in THRESHOLD_SOURCES for case in cases])
    if not chosen.any():  # cases from elsewhere only (a test's small set): choose on all of them
        chosen[:] = True
    picked = [found for found, keep in zip(evidences, chosen, strict=True) if keep]
    return fitted, _choose_thresholds(picked, labels[chosen], probabilities[chosen], contexts[chosen])


def fit(cases: list[dict], extra: Sequence[dict] = ()) -> LinearTextModel:
    """Train on `cases` + `extra` only. The thresholds are chosen on `cases` (evaluation-style
    messages) by inner cross-validation; `extra` only ever adds training examples."""
    fitted, thresholds = _fit(cases, extra)
    model = fitted.to_model()
    model.thresholds = thresholds
    model.lexicon_digest = lexicon_digest()
    model.training_digest = training_digest(cases, extra)
    return model


def score(cases: list[dict], fitted: _Fitted, thresholds: dict[str, float], letters_only: _Fitted | None = None) -> list[dict]:
    """Per case: the combined risk, the rules' risk alone and the model's probability alone."""
    evidences = [_evidence(case["text"]) for case in cases]
    probabilities = fitted.probabilities(evidences)
    contexts = fitted.context_probabilities(evidences)
    letters = letters_only.probabilities(evidences) if letters_only else probabilities
    return [
        {
            "risk": safety.decide(found, float(probability), thresholds, context).risk,
            "rules_risk": safety.decide(found, None, thresholds).risk,
            "probability": float(probability),
            "letters_probability": float(letter_probability),
        }
        for found, probability, context, letter_probability in zip(evidences, probabilities, contexts, letters, strict=True)
    ]


def held_aside_results(extra: Sequence[dict] = ()) -> tuple[list[dict], list[dict]]:
    """The blind cases held aside, scored by a model trained on crisis-dev + the other 70% (+ `extra`)."""
    train, held = blind_split()
    fitted, thresholds = _fit(dev_cases() + train, extra)
    return held, score(held, fitted, thresholds)


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
        fitted, thresholds = _fit(training, extra)
        letters_only = _fit_sklearn(*_labelled(training + list(extra)), with_concepts=False)
        for i, result in zip(test, score([cases[i] for i in test], fitted, thresholds, letters_only), strict=True):
            results[i] = result
    return results


# Who wrote what: the honest measure leaves one group of writers out at a time. The evaluation set,
# the retired hold-outs (each written by new writers and scored untouched once) and the newest blind
# set stand alone; the other blind files go into three groups.
WRITER_GROUPS_ALONE = (
    *THRESHOLD_SOURCES,
    *("crisis-blind-19", "crisis-blind-20", "crisis-blind-21"),
)


def writer_groups() -> dict[str, list[dict]]:
    """{group name: its cases}: crisis-dev, the retired hold-outs and the newest blind sets alone, the rest in three groups."""
    from tests.eval_cases import blind_sources

    groups: dict[str, list[dict]] = {"crisis-dev": dev_cases()}
    blind = blind_cases()
    sources = blind_sources()
    for source in sources:
        if source in WRITER_GROUPS_ALONE:
            groups[source] = [case for case in blind if case["source"] == source]
    rest = [source for source in sources if source not in WRITER_GROUPS_ALONE]
    for index in range(3):
        names = set(rest[index::3])
        if names:
            groups[f"blind-group-{index + 1}"] = [case for case in blind if case["source"] in names]
    return groups


def _score_group(job: tuple[str, dict[str, list[dict]], list[dict]]) -> list[dict]:
    name, groups, extra = job
    training = [case for other, cases in groups.items() if other != name for case in cases]
    fitted, thresholds = _fit(training, extra)
    cases = groups[name]
    evidences = [_evidence(case["text"]) for case in cases]
    probabilities = fitted.probabilities(evidences)
    contexts = fitted.context_probabilities(evidences)
    return [
        {
            "group": name,
            "text": case["text"],
            "lang": case.get("lang") or "da",
            "label": case["label"],
            "category": found.category,
            "rule_kind": found.rule_kind,
            "probability": float(probability),
            "thresholds": thresholds,
            "context_probability": context,
            "risk": safety.decide(found, float(probability), thresholds, context).risk,
        }
        for case, found, probability, context in zip(cases, evidences, probabilities, contexts, strict=True)
    ]


def leave_writers_out(extra: Sequence[dict] = (), processes: int = 2) -> list[dict]:
    """Each writer group scored by a model (and thresholds) trained without it, + `extra`.

    Per case: group, text, lang, label, the rules' category, the probability, the thresholds and the risk.
    """
    import multiprocessing

    groups = writer_groups()
    jobs = [(name, groups, list(extra)) for name in groups]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return [row for rows in pool.map(_score_group, jobs) for row in rows]


def main() -> None:
    cases, extra = training_cases(), extra_cases()
    model = fit(cases, extra)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    MODEL_FILE.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    size = MODEL_FILE.stat().st_size // 1024
    print(f"trained on {len(cases)} + {len(extra)} extra cases; {len(model.ngram_weights)} n-grams; {size} KB")
    print(f"thresholds: {model.thresholds}")


if __name__ == "__main__":
    main()
