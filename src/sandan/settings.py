"""One settings object for the whole platform, read from ``SANDAN_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_UNSAFE_SECRETS = {"", "changeme", "secret", "dev"}


class Settings(BaseSettings):
    """Platform settings.

    ``database_url`` defaults to an embedded SQLite file under ``var_dir``; set
    ``SANDAN_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL.  In ``production`` mode the
    secret key must be set explicitly and may not be a known default.
    """

    model_config = SettingsConfigDict(env_prefix="SANDAN_", env_file=".env", extra="ignore")

    environment: str = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    session_max_age_s: int = 8 * 3600
    token_default_days: int = 90
    max_body_bytes: int = 5 * 1024 * 1024
    page_size_default: int = 50
    page_size_max: int = 1000
    default_language: str = "ko"
    display_timezone: str = "Asia/Seoul"
    simulator_interval_s: float = 5.0
    login_rate_per_minute: int = 20
    #: HTTP ingest: requests per minute per device (or user) token, and readings per request
    ingest_rate_per_minute: int = 600
    ingest_max_readings: int = 50_000

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("SANDAN_ENVIRONMENT must be development, test or production")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'sandan.db').as_posix()}"
        if self.secret_key in _UNSAFE_SECRETS:
            if self.environment == "production":
                raise ValueError("SANDAN_SECRET_KEY must be set to a long random value in production")
            self.secret_key = _local_secret(self.var_dir)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _local_secret(var_dir: Path) -> str:
    """A per-installation random secret kept in ``var/secret_key`` (never in the repository)."""
    path = var_dir / "secret_key"
    try:
        value = path.read_text().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
