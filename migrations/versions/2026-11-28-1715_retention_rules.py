"""R7 retention length as versioned policy data (24 months from 2016-01-01 seeded)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 17:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "retention_rule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("months BETWEEN 0 AND 120", name=op.f("ck_retention_rule_months_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rule")),
    )
    op.create_index(op.f("ix_retention_rule_effective_from"), "retention_rule", ["effective_from"])
    # (八) "兩年內繼續享受原扶持政策": two years from the start of the 十三五 period.
    op.bulk_insert(table, [{"effective_from": date(2016, 1, 1), "months": 24, "created_by": "migration"}])


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_rule_effective_from"), table_name="retention_rule")
    op.drop_table("retention_rule")
