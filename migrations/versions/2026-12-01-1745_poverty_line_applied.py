"""Poverty lines: when each took effect on the answers (`applied_at`); a line reaching many
households is applied by a job of the worker and stays pending until then. Existing lines were
applied when created

Revision ID: 1103
Revises: 1102
Create Date: 2026-12-01 17:45:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1103"
down_revision: str | None = "1102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("poverty_line", sa.Column("applied_at", sa.DateTime(timezone=True),
                                            nullable=True))
    op.execute("UPDATE poverty_line SET applied_at = created_at")


def downgrade() -> None:
    op.execute("DELETE FROM poverty_line WHERE applied_at IS NULL")
    op.drop_column("poverty_line", "applied_at")
