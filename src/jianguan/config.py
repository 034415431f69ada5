"""Settings: one typed object, read from the environment once and passed down.

Every setting is an environment variable named ``JIANGUAN_<FIELD>``. A production
deployment (``JIANGUAN_ENVIRONMENT=production``) refuses to start with the development
secret, so a forgotten variable cannot ship a guessable session and audit key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "jianguan-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production
DEVELOPMENT_SMS_SECRET = "jianguan-development-sms-webhook-secret"  # noqa: S105 - refused in production


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
    workers: int = Field(default=1, ge=1, le=64)
    redis_url: str | None = None
    redis_prefix: str = Field(default="jianguan", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    code_file_downloads: int = Field(default=5, ge=1, le=1000)
    terminal_offline_after_seconds: int = Field(default=180, ge=10)
    abuse_window_seconds: int = Field(default=600, ge=1)
    abuse_slow_after: int = Field(default=20, ge=1)
    abuse_delay_seconds: float = Field(default=1.0, ge=0, le=30)
    abuse_block_after: int = Field(default=50, ge=1)
    abuse_block_seconds: int = Field(default=900, ge=1)
    stats_rollup_interval_seconds: int = Field(default=600, ge=0, le=86_400)
    alerts_evaluate_interval_seconds: int = Field(default=300, ge=0, le=86_400)
    query_log_max_pending: int = Field(default=20_000, ge=100, le=10_000_000)
    trusted_proxies: str = Field(default="", max_length=2000)
    audit_checkpoint_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    sms_webhook_secret: SecretStr = SecretStr(DEVELOPMENT_SMS_SECRET)
    sms_gateway: Literal["outbox", "smpp"] = "outbox"
    smpp_host: str = "127.0.0.1"
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = ""
    smpp_password: SecretStr = SecretStr("")
    smpp_source_address: str = ""
    email_gateway: Literal["outbox", "smtp"] = "outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "noreply@localhost"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    report_email_attempts: int = Field(default=6, ge=1, le=50)
    report_email_retry_seconds: int = Field(default=300, ge=1, le=86_400)
    case_photo_dir: Path = Path("var/case-photos")
    case_lookup_limit: int = Field(default=10, ge=1)
    application_document_dir: Path = Path("var/application-documents")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production":
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < 32:
                raise ValueError(
                    "JIANGUAN_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production / 生产环境必须设置至少 32 个字符的随机 JIANGUAN_SECRET_KEY"
                )
            sms_secret = self.sms_webhook_secret.get_secret_value()
            if sms_secret == DEVELOPMENT_SMS_SECRET or len(sms_secret) < 32:
                raise ValueError(
                    "JIANGUAN_SMS_WEBHOOK_SECRET must be set to a random value of at least 32 characters "
                    "in production / 生产环境必须设置至少 32 个字符的随机 JIANGUAN_SMS_WEBHOOK_SECRET"
                )
            if self.database_url.startswith("sqlite") and ":memory:" in self.database_url:
                raise ValueError("production cannot run on an in-memory database / 生产环境不能使用内存数据库")
            if self.master_key is None and self.master_key_file is None:
                raise ValueError(
                    "JIANGUAN_MASTER_KEY or JIANGUAN_MASTER_KEY_FILE (base64 of 32 random bytes) must be "
                    "set in production / 生产环境必须设置 JIANGUAN_MASTER_KEY 或 JIANGUAN_MASTER_KEY_FILE"
                    "（32 个随机字节的 base64 编码）"
                )
        return self

    def master_key_bytes(self) -> bytes:
        """The 32-byte key that wraps code keys and the signing key.

        Without an explicit key (development and tests only: production refuses to start), it is
        derived from the secret key, so a development database keeps opening across restarts.
        """
        # Imported here: importing the codes package loads the codec (numpy), which settings need not.
        from jianguan.codes.keys import load_master_key

        if self.master_key is None and self.master_key_file is None:
            return HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"jianguan development master key"
            ).derive(self.secret_key.get_secret_value().encode())
        value = None if self.master_key is None else self.master_key.get_secret_value()
        return load_master_key(value, self.master_key_file)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file this configuration points at, or None for another database."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
