"""The evaluation cases: the copies in tests/eval/, plus whatever ../shared/eval/ adds.

A clone on its own has everything its tests need. When the shared folder is there (a developer's
machine, CI), a case it holds that the copy lacks is added, so a newer shared set only adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EVAL = Path(__file__).resolve().parent / "eval"
SHARED_EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def _key(case: dict) -> str:
    return str(case.get("id") or case.get("text"))


def _union(own: list[dict], extra: list[dict] | None) -> list[dict]:
    seen = {_key(case) for case in own}
    return [*own, *(case for case in extra or [] if _key(case) not in seen)]


def routing_dev_cases() -> list[dict]:
    """Routing cases: a message + what is known -> which help must come first."""
    return _union(_read(EVAL / "routing-dev.yaml"), _read(SHARED_EVAL / "routing-dev.yaml"))


def crisis_dev_cases() -> dict[str, list[dict]]:
    """Crisis check cases: {"crisis": [...], "calm": [...]}, each {text, lang, kind|why, ...}."""
    own, shared = _read(EVAL / "crisis-dev.yaml"), _read(SHARED_EVAL / "crisis-dev.yaml") or {}
    return {label: _union(own[label], shared.get(label)) for label in ("crisis", "calm")}


CASES = Path(__file__).resolve().parent / "cases"
# The blind-written crisis sets, each written by a team member who saw neither the code nor the
# evaluation sets. The first kept its own name; later ones are numbered crisis-blind-2.yaml, -3, ...
_NUMBERED = sorted((path.name for path in CASES.glob("crisis-blind-*.yaml")), key=lambda name: int(name[13:-5]))
BLIND_FILES = ("crisis-blind.yaml", *_NUMBERED)
BLIND = CASES / BLIND_FILES[0]
BLIND_HELD_SHARE = 0.3
BLIND_SEED = 20261123


def blind_sources() -> list[str]:
    """The names (file stems) of the blind-written sets present."""
    return [Path(name).stem for name in BLIND_FILES if (CASES / name).is_file()]


def crisis_blind_cases(source: str | None = None) -> dict[str, list[dict]]:
    """The blind-written crisis cases: {"crisis": [...], "calm": [...]}, each case marked with its `source`.

    All blind files together, or only `source` (a file stem such as "crisis-blind-2").
    """
    cases: dict[str, list[dict]] = {"crisis": [], "calm": []}
    evaluation = _evaluation_texts()
    for name in [source] if source else blind_sources():
        data = _read(CASES / f"{name}.yaml") or {}
        for label in ("crisis", "calm"):
            # a blind writer's message that crisis-dev already holds word for word is crisis-dev's
            cases[label] += [{**case, "source": name} for case in data.get(label) or [] if _fold(case["text"]) not in evaluation]
    return cases


def _fold(text: str) -> str:
    return str(text).strip().casefold()


def _evaluation_texts() -> frozenset[str]:
    cases = crisis_dev_cases()
    return frozenset(_fold(case["text"]) for label in ("crisis", "calm") for case in cases[label])


def _seed(source: str, label: str, language: str) -> str:
    # The first file keeps the seed it was split with in round 2 (its lexicons were read against that 70%).
    prefix = BLIND_SEED if source == Path(BLIND_FILES[0]).stem else f"{BLIND_SEED}-{source}"
    return f"{prefix}-{label}-{language}"


def crisis_blind_split(source: str | None = None) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """(the 70% to train and read from, the 30% held aside): per file, stratified by label and language, a fixed seed.

    The held-aside part is never trained on and never read when the lexicons are widened.
    """
    import random

    train: dict[str, list[dict]] = {"crisis": [], "calm": []}
    held: dict[str, list[dict]] = {"crisis": [], "calm": []}
    for name in [source] if source else blind_sources():
        cases = crisis_blind_cases(name)
        for label in ("crisis", "calm"):
            for language in sorted({str(case.get("lang")) for case in cases[label]}):
                group = sorted((case for case in cases[label] if str(case.get("lang")) == language), key=_key)
                random.Random(_seed(name, label, language)).shuffle(group)
                cut = round(len(group) * BLIND_HELD_SHARE)
                held[label] += group[:cut]
                train[label] += group[cut:]
    return train, held
