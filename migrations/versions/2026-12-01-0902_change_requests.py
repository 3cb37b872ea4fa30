"""change requests (A2)

Revision ID: 0902
Revises: 0901
Create Date: 2026-12-01 09:02:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0902"
down_revision: str | None = "0901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('change_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('touches', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('proposed_by', sa.String(length=100), nullable=False),
    sa.Column('proposed_by_name', sa.String(length=100), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_by_name', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_notes', sa.Text(), nullable=True),
    sa.Column('result', postgresql.JSONB(astext_type=Text()), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('open','accepted','rejected')", name=op.f('ck_change_request_state_known')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_change_request_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_request'))
    )
    op.create_index('ix_change_request_household_id_state', 'change_request', ['household_id', 'state'], unique=False)
    op.create_index(op.f('ix_change_request_village_code'), 'change_request', ['village_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_change_request_village_code', table_name='change_request')
    op.drop_index('ix_change_request_household_id_state', table_name='change_request')
    op.drop_table('change_request')
