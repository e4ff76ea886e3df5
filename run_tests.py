#!/usr/bin/env python3
"""Run all tests (installs the project and its test tools into .venv on first use).

python3 run_tests.py               every test, including the evaluation cases
python3 run_tests.py -k safety     extra arguments go to pytest
"""

import sys

from _bootstrap import ROOT, ensure_environment

if __name__ == "__main__":
    ensure_environment("dev")
    import pytest

    raise SystemExit(pytest.main(["--rootdir", str(ROOT), str(ROOT / "tests"), *sys.argv[1:]]))
