"""Timelines: household_timeline and person_timeline, date ranges indexed with GiST

Revision ID: 0501
Revises: 0201
Create Date: 2026-12-01 09:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0501"
down_revision: str | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("valid", postgresql.DATERANGE(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("support_type", sa.String(length=12), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("retention_end", sa.Date(), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("assessment_year", sa.Integer(), nullable=True),
        sa.Column("net_income", sa.Numeric(14, 2), nullable=True),
        sa.Column("per_capita_income", sa.Numeric(14, 2), nullable=True),
        sa.Column("line_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("line_region", sa.String(length=12), nullable=True),
        sa.Column("line_from", sa.Date(), nullable=True),
        sa.Column("target_met", sa.Boolean(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_household_timeline_household_id_household")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_timeline")),
    )
    op.create_index("ix_household_timeline_valid", "household_timeline", ["valid"],
                    postgresql_using="gist")
    op.create_index("ix_household_timeline_household_id", "household_timeline", ["household_id"])
    op.create_table(
        "person_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("valid", postgresql.DATERANGE(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("is_member", sa.Boolean(), nullable=False),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("dibao_covered", sa.Boolean(), nullable=False),
        sa.Column("dibao_detail", sa.Text(), nullable=True),
        sa.Column("entitlements", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["household_member.id"],
                                name=op.f("fk_person_timeline_person_id_household_member")),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_person_timeline_household_id_household")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_timeline")),
    )
    op.create_index("ix_person_timeline_valid", "person_timeline", ["valid"],
                    postgresql_using="gist")
    op.create_index("ix_person_timeline_person_id", "person_timeline", ["person_id"])
    op.create_index("ix_person_timeline_household_id", "person_timeline", ["household_id"])


def downgrade() -> None:
    op.drop_table("person_timeline")
    op.drop_table("household_timeline")
