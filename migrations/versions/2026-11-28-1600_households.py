"""households: registry, members, attribute versions, assessments, lifecycle events, help
measures and visits; R1 poverty lines with the city line seeded

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:00:33.246738+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('household',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('group_name', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('cause_main', sa.String(length=20), nullable=False),
    sa.Column('cause_others', sa.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_household_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household'))
    )
    op.create_index(op.f('ix_household_village_code'), 'household', ['village_code'], unique=False)
    op.create_table('poverty_line',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_poverty_line_amount_positive')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_poverty_line_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poverty_line'))
    )
    op.create_index('ix_poverty_line_region_from', 'poverty_line', ['region_code', 'effective_from'], unique=False)
    op.create_table('household_assessment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('wage_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('business_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('property_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('transfer_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('production_costs', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('net_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('persons >= 1', name=op.f('ck_household_assessment_persons_positive')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_assessment_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_assessment')),
    sa.UniqueConstraint('household_id', 'year', 'version', name=op.f('uq_household_assessment_household_id_year_version'))
    )
    op.create_index(op.f('ix_household_assessment_household_id'), 'household_assessment', ['household_id'], unique=False)
    op.create_table('household_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('officer', sa.String(length=100), nullable=False),
    sa.Column('officer_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('retention_months', sa.Integer(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind = 'exit' OR retention_months IS NULL", name=op.f('ck_household_event_retention_on_exit')),
    sa.CheckConstraint("kind IN ('register', 'exit', 'return', 'remove')", name=op.f('ck_household_event_kind_known')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_event_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_event')),
    sa.UniqueConstraint('household_id', 'seq', name=op.f('uq_household_event_household_id_seq'))
    )
    op.create_index('ix_household_event_household_on', 'household_event', ['household_id', 'occurred_on', 'seq'], unique=False)
    op.create_table('household_measure',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('income_generating', sa.Boolean(), nullable=False),
    sa.Column('project', sa.String(length=200), nullable=False),
    sa.Column('helper_id', sa.Uuid(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('industry', 'employment', 'training', 'education', 'medical', 'dibao', 'microcredit', 'asset_income', 'ecommerce', 'other')", name=op.f('ck_household_measure_kind_known')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_household_measure_end_after_start')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_measure_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_measure'))
    )
    op.create_index(op.f('ix_household_measure_helper_id'), 'household_measure', ['helper_id'], unique=False)
    op.create_index(op.f('ix_household_measure_household_id'), 'household_measure', ['household_id'], unique=False)
    op.create_table('household_member',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('id_hash', sa.LargeBinary(), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=6), nullable=False),
    sa.Column('relation', sa.String(length=2), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('leave_reason', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("leave_reason IS NULL OR leave_reason IN ('moved', 'deceased', 'married_out', 'other')", name=op.f('ck_household_member_leave_reason_known')),
    sa.CheckConstraint("relation ~ '^[0-9]{2}$'", name=op.f('ck_household_member_relation_code')),
    sa.CheckConstraint("sex IN ('male','female')", name=op.f('ck_household_member_sex_known')),
    sa.CheckConstraint('left_on IS NULL OR left_on > joined_on', name=op.f('ck_household_member_left_after_joined')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_member_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_member'))
    )
    op.create_index(op.f('ix_household_member_household_id'), 'household_member', ['household_id'], unique=False)
    op.create_index(op.f('ix_household_member_id_hash'), 'household_member', ['id_hash'], unique=False)
    op.create_index('uq_household_member_current_id_hash', 'household_member', ['id_hash'], unique=True, postgresql_where=sa.text('left_on IS NULL'))
    op.create_table('household_visit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('helper_id', sa.Uuid(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_visit_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_visit'))
    )
    op.create_index(op.f('ix_household_visit_helper_id'), 'household_visit', ['helper_id'], unique=False)
    op.create_index(op.f('ix_household_visit_household_id'), 'household_visit', ['household_id'], unique=False)
    op.create_table('member_attribute_version',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('labour_capacity', sa.String(length=10), nullable=False),
    sa.Column('health', sa.String(length=20), nullable=False),
    sa.Column('disability_category', sa.Integer(), nullable=True),
    sa.Column('disability_grade', sa.Integer(), nullable=True),
    sa.Column('in_school', sa.Boolean(), nullable=False),
    sa.Column('stable_nonfarm_employment', sa.Boolean(), nullable=False),
    sa.Column('tekun_since', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("health IN ('healthy', 'chronic', 'serious_illness', 'disabled')", name=op.f('ck_member_attribute_version_health_known')),
    sa.CheckConstraint("labour_capacity IN ('ordinary', 'skilled', 'partial', 'lost', 'none')", name=op.f('ck_member_attribute_version_labour_known')),
    sa.CheckConstraint('(disability_category IS NULL) = (disability_grade IS NULL)', name=op.f('ck_member_attribute_version_disability_both_or_none')),
    sa.CheckConstraint('disability_category IS NULL OR disability_category BETWEEN 1 AND 7', name=op.f('ck_member_attribute_version_disability_category_range')),
    sa.CheckConstraint('disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4', name=op.f('ck_member_attribute_version_disability_grade_range')),
    sa.ForeignKeyConstraint(['member_id'], ['household_member.id'], name=op.f('fk_member_attribute_version_member_id_household_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_attribute_version'))
    )
    op.create_index('ix_member_attribute_version_member_from', 'member_attribute_version', ['member_id', 'effective_from'], unique=False)

    # R1 (二): the city line, 7,000 yuan per person per year, in force from 2016-01-01 (十三五).
    line = sa.table("poverty_line", sa.column("region_code"), sa.column("effective_from"),
                    sa.column("amount"), sa.column("created_by"))
    op.bulk_insert(line, [{"region_code": "321200000000", "effective_from": date(2016, 1, 1),
                           "amount": Decimal("7000.00"), "created_by": "system"}])


def downgrade() -> None:
    op.drop_index('ix_member_attribute_version_member_from', table_name='member_attribute_version')
    op.drop_table('member_attribute_version')
    op.drop_index(op.f('ix_household_visit_household_id'), table_name='household_visit')
    op.drop_index(op.f('ix_household_visit_helper_id'), table_name='household_visit')
    op.drop_table('household_visit')
    op.drop_index('uq_household_member_current_id_hash', table_name='household_member', postgresql_where=sa.text('left_on IS NULL'))
    op.drop_index(op.f('ix_household_member_id_hash'), table_name='household_member')
    op.drop_index(op.f('ix_household_member_household_id'), table_name='household_member')
    op.drop_table('household_member')
    op.drop_index(op.f('ix_household_measure_household_id'), table_name='household_measure')
    op.drop_index(op.f('ix_household_measure_helper_id'), table_name='household_measure')
    op.drop_table('household_measure')
    op.drop_index('ix_household_event_household_on', table_name='household_event')
    op.drop_table('household_event')
    op.drop_index(op.f('ix_household_assessment_household_id'), table_name='household_assessment')
    op.drop_table('household_assessment')
    op.drop_index('ix_poverty_line_region_from', table_name='poverty_line')
    op.drop_table('poverty_line')
    op.drop_index(op.f('ix_household_village_code'), table_name='household')
    op.drop_table('household')
