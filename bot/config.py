"""Settings from environment variables and an optional `.env` file (environment wins).

Every setting is documented in the README ("Running it for a municipality").
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = Field("", validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field("", validation_alias="TELEGRAM_API_BASE_URL")
    telegram_timeout_seconds: float = Field(10.0, gt=0, validation_alias="TELEGRAM_TIMEOUT_SECONDS")

    # Webhook mode when WEBHOOK_URL is set (the public https address Telegram posts to).
    webhook_url: str = Field("", validation_alias="WEBHOOK_URL")
    webhook_secret: str = Field("", validation_alias="WEBHOOK_SECRET")
    webhook_listen: str = Field("0.0.0.0", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(8443, ge=1, le=65535, validation_alias="WEBHOOK_PORT")
    webhook_max_connections: int = Field(40, ge=1, le=100, validation_alias="WEBHOOK_MAX_CONNECTIONS")

    # State: Redis when REDIS_URL is set, otherwise the SQLite file.
    redis_url: str = Field("", validation_alias="REDIS_URL")
    state_path: Path = Field(ROOT / "data" / "state.sqlite3", validation_alias="TRIVSEL_STATE_PATH")
    state_ttl_hours: float = Field(24.0, ge=0, validation_alias="TRIVSEL_STATE_TTL_HOURS")
    hash_key: str = Field("", validation_alias="TRIVSEL_HASH_KEY")

    catalogue: str = Field("", validation_alias="TRIVSEL_CATALOGUE")
    catalogue_watch_seconds: float = Field(5.0, ge=0, validation_alias="TRIVSEL_CATALOGUE_WATCH_SECONDS")
    language: str = Field("da", pattern="^(da|en|sv)$", validation_alias="TRIVSEL_LANGUAGE")
    log_level: str = Field("INFO", validation_alias="TRIVSEL_LOG_LEVEL")

    # The web chat and staff pages (`run_bot.py web`; with WEB_PORT set, also beside Telegram).
    web_host: str = Field("127.0.0.1", validation_alias="WEB_HOST")
    web_port: int = Field(0, ge=0, le=65535, validation_alias="WEB_PORT")
    web_frame_ancestors: str = Field("", pattern=r"^[A-Za-z0-9:/.* -]*$", validation_alias="WEB_FRAME_ANCESTORS")
    # Anonymous counts of results (day, channel, municipality, role, age band, topics, level).
    count_needs: bool = Field(True, validation_alias="TRIVSEL_COUNT_NEEDS")

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        # Telegram allows 1-256 of these characters; we ask for 16 or more so it cannot be guessed.
        if self.webhook_url and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", self.webhook_secret):
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is: 16-256 characters of A-Z, a-z, 0-9, _ and -")
        return self

    @property
    def state_ttl_seconds(self) -> float:
        return self.state_ttl_hours * 3600

    @property
    def chat_hash_key(self) -> str:
        # Chat ids are hashed with this key in storage and logs. Falling back to the bot token
        # keeps hashes stable across restarts and processes without another secret to manage.
        return self.hash_key or self.telegram_bot_token or "trivselsguiden-terminal"
