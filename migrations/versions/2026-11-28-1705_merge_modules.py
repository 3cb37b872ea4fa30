"""merge the module branches (villages/pairings, dibao, insurance, imports, webhooks/feed)

The modules were built side by side, each branching from the platform or the household registry;
this revision joins them so that `alembic upgrade head` has one target.

Revision ID: 0009
Revises: 0003, 0004, 0005, 0006, 0008
Create Date: 2026-11-28 17:05:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0003", "0004", "0005", "0006", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
