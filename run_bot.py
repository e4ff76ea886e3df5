#!/usr/bin/env python3
"""Run Trivselsguiden: in the terminal without a token, on Telegram with TELEGRAM_BOT_TOKEN.

python3 run_bot.py                 the guide (terminal, or Telegram when a token is set)
python3 run_bot.py check [PATH]    validate the catalogue and summarise it
python3 run_bot.py route --jsonl   route JSON lines from stdin (one answer per line)
python3 run_bot.py web [--port N]  the web chat at http://127.0.0.1:8080/ and the staff pages at /tilbud/
python3 run_bot.py site OUTDIR     the staff pages as static HTML
"""

from _bootstrap import ensure_environment

if __name__ == "__main__":
    ensure_environment()
    from bot.cli import main

    raise SystemExit(main())
