"""Idempotency store: answers are now stored encrypted; drop the answers stored in clear

Revision ID: 0201
Revises: 0101
Create Date: 2026-12-01 09:15:00+00:00

A finished key's stored answer could hold unmasked ID numbers. From this revision on the answer
is sealed with the PII key; the answers kept in clear before it are deleted (their keys are
forgotten, as after the TTL). Unfinished keys stay, so a request still running is not repeated.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0201"
down_revision: str | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM idempotent_request WHERE status IS NOT NULL")


def downgrade() -> None:
    # Sealed answers cannot be read by the code before this revision: forget them too.
    op.execute("DELETE FROM idempotent_request WHERE status IS NOT NULL")
