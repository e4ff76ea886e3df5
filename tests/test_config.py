"""Settings from the environment and an optional .env file, and clear start-up errors."""

import pytest

from bot import app
from bot.config import Settings
from tests.redis_server import free_port


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("TRIVSEL_STATE_TTL_HOURS=2\nTRIVSEL_LANGUAGE=sv\nREDIS_URL=redis://from-file\n", encoding="utf-8")
    monkeypatch.setenv("TRIVSEL_LANGUAGE", "en")
    settings = Settings(_env_file=env_file)
    assert settings.state_ttl_seconds == 2 * 3600
    assert settings.language == "en"
    assert settings.redis_url == "redis://from-file"


@pytest.mark.parametrize("secret", ["", "short", "has spaces in it!!", "x" * 257])
def test_a_webhook_needs_a_proper_secret(secret):
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(_env_file=None, WEBHOOK_URL="https://example.org/hook", WEBHOOK_SECRET=secret)


def test_bad_settings_stop_the_start_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("WEBHOOK_URL", "https://example.org/hook")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    assert app.run() == 2
    assert "WEBHOOK_SECRET must be set" in capsys.readouterr().err


def test_an_unreachable_bot_api_is_said_plainly_without_a_traceback(monkeypatch, capsys, tmp_path, restore_logging):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens there
    monkeypatch.setenv("TELEGRAM_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("TRIVSEL_STATE_PATH", str(tmp_path / "state.sqlite3"))
    assert app.run() == 1
    error = capsys.readouterr().err
    assert "Could not reach the Telegram Bot API" in error and "Traceback" not in error
