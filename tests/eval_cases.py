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


BLIND = Path(__file__).resolve().parent / "cases" / "crisis-blind.yaml"
BLIND_HELD_SHARE = 0.3
BLIND_SEED = 20261123


def crisis_blind_cases() -> dict[str, list[dict]]:
    """The blind-written crisis cases (tests/cases/crisis-blind.yaml): {"crisis": [...], "calm": [...]}."""
    data = _read(BLIND) or {}
    return {label: list(data.get(label) or []) for label in ("crisis", "calm")}


def crisis_blind_split() -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """(the 70% to train and read from, the 30% held aside): stratified by label and language, a fixed seed.

    The held-aside part is never trained on and never read when the lexicons are widened.
    """
    import random

    cases = crisis_blind_cases()
    train: dict[str, list[dict]] = {"crisis": [], "calm": []}
    held: dict[str, list[dict]] = {"crisis": [], "calm": []}
    for label in ("crisis", "calm"):
        for language in sorted({str(case.get("lang")) for case in cases[label]}):
            group = sorted((case for case in cases[label] if str(case.get("lang")) == language), key=_key)
            random.Random(f"{BLIND_SEED}-{label}-{language}").shuffle(group)
            cut = round(len(group) * BLIND_HELD_SHARE)
            held[label] += group[:cut]
            train[label] += group[cut:]
    return train, held
