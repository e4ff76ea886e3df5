"""Shared fixtures: the real catalogue and guide, and the shared evaluation cases."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
import yaml

from bot.catalogue import load_catalogue
from bot.guide import Guide
from bot.logs import LIBRARIES, configure_logging
from tests.eval_cases import routing_dev_cases
from tests.redis_server import redis_server

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "knowledge" / "sources"  # the brief and the seeds, copied from ../shared
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def guide(catalogue):
    return Guide(catalogue)


def load_cases(name: str):
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


# The evaluation cases (tests/eval, plus ../shared/eval when present), run by test_routing with thresholds.
DEV_CASES = routing_dev_cases()


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: TRIVSEL_TEST_REDIS_URL (CI starts one), else a redis-server started here.

    Without either the Redis tests are skipped - unless TRIVSEL_REQUIRE_REDIS=1 (CI), where
    a missing Redis fails them.
    """
    url = os.environ.get("TRIVSEL_TEST_REDIS_URL")
    if url:
        yield url
        return
    with redis_server() as started:
        if started is None:
            if os.environ.get("TRIVSEL_REQUIRE_REDIS") == "1":
                pytest.fail("TRIVSEL_REQUIRE_REDIS=1 but no Redis: set TRIVSEL_TEST_REDIS_URL or install redis-server")
            pytest.skip("no redis-server on this machine")
        yield started


@pytest.fixture
def knowledge_copy(tmp_path, catalogue):
    """A writable copy of the knowledge files, for tests that change the catalogue."""
    directory = tmp_path / "knowledge"
    directory.mkdir()
    for file in catalogue.files:
        (directory / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    return directory


@pytest.fixture
def restore_logging():
    """Puts the root logger and the libraries' levels back after a test that configures logging."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    library_levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, library_level in library_levels.items():
        logging.getLogger(name).setLevel(library_level)


@pytest.fixture
def json_log(restore_logging):
    """The production JSON log configuration, at DEBUG, written to a string for inspection."""
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    return stream
