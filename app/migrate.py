"""Run Alembic migrations programmatically (the CLI, `make run`, readiness and tests use this)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL

ROOT = Path(__file__).resolve().parent.parent


def migrations_root() -> Path:
    """Where alembic.ini and migrations/ are: the checkout (development, editable install) or,
    for an installed wheel, `<prefix>/share/xiaokang` (pyproject's data-files)."""
    for root in (ROOT, Path(sys.prefix) / "share" / "xiaokang"):
        if (root / "alembic.ini").is_file() and (root / "migrations" / "env.py").is_file():
            return root
    raise SystemExit("The migrations are not installed: alembic.ini and migrations/ were found "
                     f"neither in {ROOT} nor in {Path(sys.prefix) / 'share' / 'xiaokang'}.")


def alembic_config(url: URL | str | None = None) -> Config:
    root = migrations_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
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
