"""One Settings object, read from the environment (prefix XIAOKANG_, plus DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def reveal(value: SecretStr | str | None) -> str | None:
    """The plain text of a secret setting (a copied Settings may hold a plain str)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XIAOKANG_", extra="ignore")

    # No DATABASE_URL: an embedded PostgreSQL under data_dir/pg (see app/db.py).
    # A SecretStr: the URL may carry the database password; read it with `reveal()`.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "XIAOKANG_DATABASE_URL")
    )
    # A streaming replica for read-only work (reports, the event feed); see app/db.py.
    read_database_url: str | None = None
    data_dir: Path = Path(".data")
    pool_size: int = 10
    max_overflow: int = 5
    # A pooled connection older than this is closed and replaced (no per-checkout ping).
    pool_recycle_seconds: int = 1800
    # DATABASE_URL (and the read URL) go through a pooler in transaction mode that does not
    # track prepared statements (PgBouncer before 1.21, or max_prepared_statements = 0): asyncpg
    # then keeps no prepared statement between statements (docs/scale.md).
    transaction_pooler: bool = False

    # Tokens (app/auth/tokens.py). A PEM private key (EC P-256) or one generated into data_dir.
    jwt_private_key: SecretStr | None = None
    jwt_issuer: str = "xiaokang"
    jwt_audience: str = "xiaokang-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600

    # Login throttling: this many failures for one username inside the window give 429.
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60

    # Encryption of ID numbers (AES-GCM) and the keyed hash used to look them up.
    # Base64 of 32 bytes each, or generated once into data_dir.
    pii_key: SecretStr | None = None
    pii_hash_key: SecretStr | None = None

    admin_username: str | None = None
    admin_password: SecretStr | None = None

    idempotency_ttl_hours: int = 24
    # Webhook deliveries run in the server process (tests drive them by hand).
    webhook_dispatch: bool = True
    webhook_interval_seconds: float = 2.0
    timezone: str = "Asia/Shanghai"

    # DCI Social Registry (app/dci/). The registry's DCI id (its `sender_id` in callbacks) and its
    # Ed25519 signing key (PEM, PKCS8; otherwise generated once into data_dir, mode 600).
    dci_registry_id: str = "xiaokang.taizhou.gov.cn"
    dci_signing_key: SecretStr | None = None
    dci_signature_skew_seconds: int = 60
    dci_signature_ttl_seconds: int = 300  # `expires` of the registry's own signatures
    dci_message_ts_window_seconds: int = 300  # header.message_ts this close to now
    dci_max_requests_per_message: int = 100  # header.total_count above: limit_exceeded
    dci_max_page_size: int = 500
    dci_callback_page_size: int = 100  # async results are POSTed in pages of this size
    dci_jwks_cache_seconds: int = 300
    log_json: bool = True
    # A4 attachments: the largest file accepted (bytes; 413 above it). Their AES-256-GCM key is
    # base64 of 32 bytes, or generated once into data_dir/attachments-aes.key (mode 600).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_key: SecretStr | None = None

    # Failed logins (app/auth/lockout.py): a (username, client address) pair is locked after
    # login_max_failures inside the window; one address is locked after this many failures
    # across all usernames.
    login_max_failures_per_address: int = 50
    # A token's account is re-read from the database at most this often (deactivation, role or
    # region changes take effect within it; a PATCH in this process takes effect at once).
    account_cache_seconds: float = 2.0
    # Seconds a token's `iat` may lie in the future (clock skew between servers).
    token_clock_skew_seconds: int = 30
    # Outbound HTTP (app/kit/outbound.py) refuses loopback, private, link-local, multicast and
    # reserved addresses except these hosts or CIDRs (comma-separated in the environment).
    outbound_allowed_hosts: Annotated[list[str], NoDecode] = []

    @field_validator("outbound_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value
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
    # Processes that build timelines when thousands of households are rewritten at once (an
    # import, rebuild-timelines, a city-wide line): unset, one per CPU; 0 or 1, in the caller.
    timeline_processes: int | None = Field(None, ge=0, le=64)
    # A poverty line reaching more households than this is applied by a job of the worker (the
    # line pending until then) instead of in the request that sets it.
    policy_inline_households: int = Field(20_000, ge=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
