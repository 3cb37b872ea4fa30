"""Run Alembic migrations programmatically (the CLI, `make run`, readiness and tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: URL | str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["configure_logger"] = False
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def upgrade(url: URL | str | None = None, revision: str = "heads") -> None:
    """Bring the database to `revision` (all heads by default: modules may branch from a common
    parent). Synchronous; runs its own event loop."""
    command.upgrade(alembic_config(url), revision)


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
