"""proposals, steps, objections (A1, A3) and decision records

Revision ID: 0901
Revises: 0801
Create Date: 2026-12-01 09:01:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0901"
down_revision: str | None = "0801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('decision_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_type', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('entrance', sa.String(length=20), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=True),
    sa.Column('rules', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('facts', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('policy_versions', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('reasons', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("entrance IN ('direct', 'proposal', 'change_request', 'import')", name=op.f('ck_decision_record_entrance_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_record'))
    )
    op.create_index(op.f('ix_decision_record_household_id'), 'decision_record', ['household_id'], unique=False)
    op.create_index('ix_decision_record_subject', 'decision_record', ['subject_type', 'subject_id'], unique=False)
    op.create_table('proposal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=False),
    sa.Column('proposed_by', sa.String(length=100), nullable=False),
    sa.Column('proposed_by_name', sa.String(length=100), nullable=False),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('result', postgresql.JSONB(astext_type=Text()), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind = 'register' OR household_id IS NOT NULL", name=op.f('ck_proposal_household_unless_register')),
    sa.CheckConstraint("kind IN ('register', 'exit', 'return', 'remove')", name=op.f('ck_proposal_kind_known')),
    sa.CheckConstraint("state IN ('proposed', 'appraised', 'publicised', 'reviewed', 'approved', 'rejected')", name=op.f('ck_proposal_state_known')),
    sa.CheckConstraint('publicity_end IS NULL OR publicity_end >= publicity_start', name=op.f('ck_proposal_publicity_ordered')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_proposal_household_id_household')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_proposal_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    op.create_index(op.f('ix_proposal_household_id'), 'proposal', ['household_id'], unique=False)
    op.create_index('ix_proposal_village_code_state', 'proposal', ['village_code', 'state'], unique=False)
    op.create_table('proposal_objection',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('raised_by', sa.String(length=100), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('settlement', sa.Text(), nullable=True),
    sa.Column('settled_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('upheld','dismissed')", name=op.f('ck_proposal_objection_outcome_known')),
    sa.CheckConstraint('(outcome IS NULL) = (settled_on IS NULL)', name=op.f('ck_proposal_objection_settled_with_date')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_objection_proposal_id_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_objection'))
    )
    op.create_index(op.f('ix_proposal_objection_proposal_id'), 'proposal_objection', ['proposal_id'], unique=False)
    op.create_table('proposal_step',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=10), nullable=False),
    sa.Column('state_after', sa.String(length=12), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('officer', sa.String(length=100), nullable=False),
    sa.Column('officer_name', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('publicity_start', sa.Date(), nullable=True),
    sa.Column('publicity_end', sa.Date(), nullable=True),
    sa.Column('reasons', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("step IN ('propose', 'appraise', 'publicise', 'review', 'approve', 'reject')", name=op.f('ck_proposal_step_step_known')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_step_proposal_id_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_step'))
    )
    op.create_index('ix_proposal_step_proposal_id_seq', 'proposal_step', ['proposal_id', 'seq'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_proposal_step_proposal_id_seq', table_name='proposal_step')
    op.drop_index('ix_proposal_objection_proposal_id', table_name='proposal_objection')
    op.drop_index('ix_proposal_village_code_state', table_name='proposal')
    op.drop_index('ix_proposal_household_id', table_name='proposal')
    op.drop_index('ix_decision_record_subject', table_name='decision_record')
    op.drop_index('ix_decision_record_household_id', table_name='decision_record')
    op.drop_table('proposal_step')
    op.drop_table('proposal_objection')
    op.drop_table('proposal')
    op.drop_table('decision_record')
