#!/usr/bin/env python3
"""Run Trivselsguiden: in the terminal without a token, on Telegram with TELEGRAM_BOT_TOKEN.

python3 run_bot.py                 the guide (terminal, or Telegram when a token is set)
python3 run_bot.py check [PATH]    validate the catalogue and summarise it
python3 run_bot.py route --jsonl   route JSON lines from stdin (one answer per line)
"""

from _bootstrap import ensure_environment

if __name__ == "__main__":
    ensure_environment()
    from bot.cli import main

    raise SystemExit(main())
