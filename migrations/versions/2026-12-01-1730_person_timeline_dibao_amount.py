"""Timelines: each member's covering dibao grant and its monthly benefit (D7) in the person
segments. The timelines of households with a decided grant are dropped, so that `xiaokang migrate`
builds them again from the facts (it builds every household's missing timeline)

Revision ID: 1102
Revises: 1101
Create Date: 2026-12-01 17:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1102"
down_revision: str | None = "1101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GRANTED = "SELECT household_id FROM dibao_case WHERE start_month IS NOT NULL"


def upgrade() -> None:
    op.add_column("person_timeline", sa.Column("dibao_case_id", sa.Uuid(), nullable=True))
    op.add_column("person_timeline", sa.Column("dibao_amount", sa.Numeric(14, 2), nullable=True))
    op.execute(f"DELETE FROM person_timeline WHERE household_id IN ({_GRANTED})")
    op.execute(f"DELETE FROM household_timeline WHERE household_id IN ({_GRANTED})")


def downgrade() -> None:
    op.drop_column("person_timeline", "dibao_amount")
    op.drop_column("person_timeline", "dibao_case_id")
