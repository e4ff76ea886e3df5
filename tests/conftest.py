"""Shared fixtures: the real catalogue and guide, and the shared evaluation cases."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: TRIVSEL_TEST_REDIS_URL (CI starts one), else a redis-server started here.

    Without either the Redis tests are skipped - unless TRIVSEL_REQUIRE_REDIS=1 (CI), where
    a missing Redis fails them.
    """
    url = os.environ.get("TRIVSEL_TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("TRIVSEL_REQUIRE_REDIS") == "1":
            pytest.fail("TRIVSEL_REQUIRE_REDIS=1 but no Redis: set TRIVSEL_TEST_REDIS_URL or install redis-server")
        pytest.skip("no redis-server on this machine")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
