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

    # The import worker (app/imports/queue.py). It writes a heartbeat this often; a worker silent
    # for `import_stalled_seconds` is dead and its running job is queued again (checked every
    # `import_stalled_check_seconds`); `serve` restarts a dead worker after `worker_restart_seconds`.
    import_heartbeat_seconds: float = 5.0
    import_stalled_seconds: float = 30.0
    import_stalled_check_seconds: float = 10.0
    worker_restart_seconds: float = 1.0
    # Uploaded files (encrypted under data_dir/imports) are deleted this many days after their
    # job ended; the worker looks for them every `import_sweep_seconds`.
    import_file_retention_days: int = 30
    import_sweep_seconds: float = 3600.0
    # XLSX uploads above this are refused (413 import.file.too_large): a workbook streams row by
    # row, but its table of distinct texts is held while it is read. CSV and JSONL have no limit.
    import_xlsx_max_mb: int = 100


@lru_cache
def get_settings() -> Settings:
    return Settings()
