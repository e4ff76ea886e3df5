"""Benchmarks. `python3 -m bench.<name>` installs what they need (the dev tools) into .venv first."""

from _bootstrap import ensure_environment

ensure_environment("dev")
