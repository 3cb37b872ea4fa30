"""Read replicas: the WAL position of each caller's latest write (read-your-writes)

Revision ID: 0601
Revises: 0010
Create Date: 2026-12-01 09:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0601"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "read_fence",
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("lsn", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_read_fence")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("read_fence")
