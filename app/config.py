"""One Settings object, read from the environment (prefix XIAOKANG_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XIAOKANG_", extra="ignore")

    # No DATABASE_URL: an embedded PostgreSQL under data_dir/pg (see app/db.py).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "XIAOKANG_DATABASE_URL")
    )
    data_dir: Path = Path(".data")
    pool_size: int = 10
    max_overflow: int = 5

    # Tokens (app/auth/tokens.py). A PEM private key (EC P-256) or one generated into data_dir.
    jwt_private_key: str | None = None
    jwt_issuer: str = "xiaokang"
    jwt_audience: str = "xiaokang-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    # Login throttling: this many failures for one username inside the window give 429.
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60

    # Encryption of ID numbers (AES-GCM) and the keyed hash used to look them up.
    # Base64 of 32 bytes each, or generated once into data_dir.
    pii_key: str | None = None
    pii_hash_key: str | None = None

    admin_username: str | None = None
    admin_password: str | None = None

    idempotency_ttl_hours: int = 24
    # Webhook deliveries run in the server process (tests drive them by hand).
    webhook_dispatch: bool = True
    webhook_interval_seconds: float = 2.0
    timezone: str = "Asia/Shanghai"
    log_json: bool = True
    # A4 attachments: the largest file accepted (bytes; 413 above it). Their AES-256-GCM key is
    # base64 of 32 bytes, or generated once into data_dir/attachments-aes.key (mode 600).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_key: str | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
