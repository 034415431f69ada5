"""Settings: one typed object, read from the environment once and passed down.

Every setting is an environment variable named ``JIANGUAN_<FIELD>``. A production
deployment (``JIANGUAN_ENVIRONMENT=production``) refuses to start with the development
secret, so a forgotten variable cannot ship a guessable session and audit key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "jianguan-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production


class Settings(BaseSettings):
    """The service's configuration; see docs/settings.md for each field."""

    model_config = SettingsConfigDict(env_prefix="JIANGUAN_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/jianguan.db"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    cookie_secure: bool = False
    public_rate_limit_per_minute: int = Field(default=120, ge=1)
    login_rate_limit_per_minute: int = Field(default=20, ge=1)
    workers: int = Field(default=1, ge=1, le=64)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < 32:
                raise ValueError(
                    "JIANGUAN_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production / 生产环境必须设置至少 32 个字符的随机 JIANGUAN_SECRET_KEY"
                )
            if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
                raise ValueError("production cannot run on an in-memory database / 生产环境不能使用内存数据库")
        return self

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file this configuration points at, or None for another database."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
