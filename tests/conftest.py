"""Shared fixtures: the real catalogue and guide, and the shared evaluation cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalogue import load_catalogue
from bot.guide import Guide

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def guide(catalogue):
    return Guide(catalogue)


def load_cases(name: str):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
