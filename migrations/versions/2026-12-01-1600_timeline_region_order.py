"""Timelines: household segments in region order (village_code, household_id), for the reports
that list the first households of a region that fall short

Revision ID: 1101
Revises: 1002
Create Date: 2026-12-01 16:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "1101"
down_revision: str | None = "1002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_household_timeline_village_code_household_id", "household_timeline",
                    ["village_code", "household_id"])


def downgrade() -> None:
    op.drop_index("ix_household_timeline_village_code_household_id", "household_timeline")
