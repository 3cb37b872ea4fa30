"""dibao: standards per 市(區) (D1), cases with their workflow steps (D5) and favouritism
matches (D6); one open or active case per household

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-28 16:06:16+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATES = "state IN ('applied', 'verifying', 'publicised', 'approved', 'active', 'suspended')"


def upgrade() -> None:
    op.create_table('dibao_standard',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("region_code ~ '^[0-9]{6}000000$'", name=op.f('ck_dibao_standard_district_code')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_dibao_standard_amount_positive')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_dibao_standard_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dibao_standard')),
    sa.UniqueConstraint('region_code', 'effective_from', name=op.f('uq_dibao_standard_region_code_effective_from'))
    )
    op.create_table('dibao_case',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('single_person_member_id', sa.Uuid(), nullable=True),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('declared_monthly_income', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('start_month', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('applied', 'verifying', 'publicised', 'approved', 'rejected', 'active', 'suspended', 'terminated')", name=op.f('ck_dibao_case_state_known')),
    sa.CheckConstraint('start_month IS NULL OR extract(day FROM start_month) = 1', name=op.f('ck_dibao_case_start_month_first')),
    sa.CheckConstraint('declared_monthly_income IS NULL OR declared_monthly_income >= 0', name=op.f('ck_dibao_case_declared_income_not_negative')),
    sa.CheckConstraint('single_person_member_id IS NULL OR declared_monthly_income IS NOT NULL', name=op.f('ck_dibao_case_single_person_declares_income')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_dibao_case_household_id_household')),
    sa.ForeignKeyConstraint(['single_person_member_id'], ['household_member.id'], name=op.f('fk_dibao_case_single_person_member_id_household_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dibao_case'))
    )
    op.create_index(op.f('ix_dibao_case_household_id'), 'dibao_case', ['household_id'], unique=False)
    op.create_index(op.f('ix_dibao_case_region_code'), 'dibao_case', ['region_code'], unique=False)
    # (十四, D5) one open or active case per household, enforced by the database.
    op.create_index('uq_dibao_case_household_open', 'dibao_case', ['household_id'], unique=True,
                    postgresql_where=sa.text(OPEN_STATES))
    op.create_table('dibao_case_step',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('officer', sa.String(length=100), nullable=False),
    sa.Column('officer_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("action IN ('apply', 'record_check', 'publicise', 'approve', 'reject', 'activate', 'suspend', 'resume', 'terminate')", name=op.f('ck_dibao_case_step_action_known')),
    sa.ForeignKeyConstraint(['case_id'], ['dibao_case.id'], name=op.f('fk_dibao_case_step_case_id_dibao_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dibao_case_step')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_dibao_case_step_case_id_seq'))
    )
    op.create_index('ix_dibao_case_step_case_action_on', 'dibao_case_step', ['case_id', 'action', 'on'], unique=False)
    op.create_table('dibao_case_match',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('helper', 'first_secretary', 'officer')", name=op.f('ck_dibao_case_match_role_known')),
    sa.ForeignKeyConstraint(['case_id'], ['dibao_case.id'], name=op.f('fk_dibao_case_match_case_id_dibao_case')),
    sa.ForeignKeyConstraint(['member_id'], ['household_member.id'], name=op.f('fk_dibao_case_match_member_id_household_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dibao_case_match')),
    sa.UniqueConstraint('case_id', 'member_id', 'role', name=op.f('uq_dibao_case_match_case_id_member_id_role'))
    )
    op.create_index(op.f('ix_dibao_case_match_case_id'), 'dibao_case_match', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_table('dibao_case_match')
    op.drop_index('ix_dibao_case_step_case_action_on', table_name='dibao_case_step')
    op.drop_table('dibao_case_step')
    op.drop_index('uq_dibao_case_household_open', table_name='dibao_case')
    op.drop_index(op.f('ix_dibao_case_region_code'), table_name='dibao_case')
    op.drop_index(op.f('ix_dibao_case_household_id'), table_name='dibao_case')
    op.drop_table('dibao_case')
    op.drop_table('dibao_standard')
