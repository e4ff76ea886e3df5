"""First-run set-up for the two README commands, using only the standard library.

`python3 run_bot.py` and `python3 run_tests.py` must work on a machine that has nothing but
Python 3.11: on first use they create `.venv`, install the project into it, and re-run
themselves inside it. Later runs reuse it, and reinstall only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _wanted(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return f"{digest} {extras}"


def ensure_environment(extras: str = "") -> None:
    """Re-exec inside the project's venv, creating or updating it first when needed."""
    inside = Path(sys.prefix).resolve() == VENV.resolve()
    installed = STAMP.read_text().split("\n") if STAMP.exists() else []
    if _wanted(extras) not in installed and _wanted("dev") not in installed:
        if not _venv_python().exists():
            print("First run: creating .venv ...", file=sys.stderr)
            venv.EnvBuilder(with_pip=True).create(VENV)
        target = f".[{extras}]" if extras else "."
        print(f"Installing Trivselsguiden{' with ' + extras + ' tools' if extras else ''} into .venv ...", file=sys.stderr)
        subprocess.run(
            [str(_venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
            cwd=ROOT,
            check=True,
        )
        STAMP.write_text("\n".join([*installed, _wanted(extras)]))
    if not inside:
        # orig_argv keeps `-m package.module`, so `python3 -m bench.x` re-runs as a module too.
        os.execv(str(_venv_python()), [str(_venv_python()), *sys.orig_argv[1:]])
