"""villages and pairings: R2 weak-village lines (city line seeded), collective incomes and the
V1 eight haves per year, helpers and pairing assignments (P1-P4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 16:02:24.475078+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('helper',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('post', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=True),
    sa.Column('id_hash', sa.LargeBinary(), nullable=True),
    sa.Column('unit_kind', sa.String(length=20), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind = 'person' OR unit_kind IS NOT NULL", name=op.f('ck_helper_unit_has_kind')),
    sa.CheckConstraint("kind = 'unit' OR (id_hash IS NOT NULL AND id_number_enc IS NOT NULL)", name=op.f('ck_helper_person_has_id_number')),
    sa.CheckConstraint("kind IN ('person','unit')", name=op.f('ck_helper_kind_known')),
    sa.CheckConstraint("unit_kind IS DISTINCT FROM 'enterprise' OR uscc IS NOT NULL", name=op.f('ck_helper_enterprise_has_uscc')),
    sa.CheckConstraint("unit_kind IS NULL OR unit_kind IN ('department','enterprise','other')", name=op.f('ck_helper_unit_kind_known')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_helper_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helper'))
    )
    op.create_index(op.f('ix_helper_region_code'), 'helper', ['region_code'], unique=False)
    op.create_index('uq_helper_id_hash', 'helper', ['id_hash'], unique=True, postgresql_where=sa.text('id_hash IS NOT NULL'))
    op.create_index('uq_helper_uscc', 'helper', ['uscc'], unique=True, postgresql_where=sa.text('uscc IS NOT NULL'))
    op.create_table('village_eight_haves',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('met_all', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('year BETWEEN 1990 AND 2100', name=op.f('ck_village_eight_haves_year_range')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_village_eight_haves_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_village_eight_haves')),
    sa.UniqueConstraint('village_code', 'year', 'version', name=op.f('uq_village_eight_haves_village_code_year_version'))
    )
    op.create_table('village_income',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('collective_income', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('year BETWEEN 1990 AND 2100', name=op.f('ck_village_income_year_range')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_village_income_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_village_income')),
    sa.UniqueConstraint('village_code', 'year', 'version', name=op.f('uq_village_income_village_code_year_version'))
    )
    op.create_table('weak_village_line',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_weak_village_line_amount_positive')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_weak_village_line_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weak_village_line'))
    )
    op.create_index('ix_weak_village_line_region_from', 'weak_village_line', ['region_code', 'effective_from'], unique=False)
    op.create_table('pairing',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('helper_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('scope_code', sa.String(length=12), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(kind = 'household_cadre') = (household_id IS NOT NULL)", name=op.f('ck_pairing_household_iff_cadre')),
    sa.CheckConstraint("(kind = 'household_cadre') = (region_code IS NULL)", name=op.f('ck_pairing_region_iff_not_cadre')),
    sa.CheckConstraint("kind IN ('household_cadre','village_unit','town_unit','first_secretary')", name=op.f('ck_pairing_kind_known')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_pairing_end_after_start')),
    sa.ForeignKeyConstraint(['helper_id'], ['helper.id'], name=op.f('fk_pairing_helper_id_helper')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_pairing_household_id_household')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_pairing_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing'))
    )
    op.create_index('ix_pairing_helper_kind_start', 'pairing', ['helper_id', 'kind', 'start_date'], unique=False)
    op.create_index('ix_pairing_household_id', 'pairing', ['household_id'], unique=False, postgresql_where=sa.text('household_id IS NOT NULL'))
    op.create_index('ix_pairing_scope_kind', 'pairing', ['scope_code', 'kind'], unique=False)

    # (二.2, R2) the city weak-village line: 350,000 yuan from the start of 十三五.
    line = sa.table("weak_village_line", sa.column("region_code"), sa.column("effective_from"),
                    sa.column("amount"), sa.column("created_by"))
    op.bulk_insert(line, [{"region_code": "321200000000", "effective_from": date(2016, 1, 1),
                           "amount": Decimal("350000.00"), "created_by": "system"}])


def downgrade() -> None:
    op.drop_index('ix_pairing_scope_kind', table_name='pairing')
    op.drop_index('ix_pairing_household_id', table_name='pairing', postgresql_where=sa.text('household_id IS NOT NULL'))
    op.drop_index('ix_pairing_helper_kind_start', table_name='pairing')
    op.drop_table('pairing')
    op.drop_index('ix_weak_village_line_region_from', table_name='weak_village_line')
    op.drop_table('weak_village_line')
    op.drop_table('village_income')
    op.drop_table('village_eight_haves')
    op.drop_index('uq_helper_uscc', table_name='helper', postgresql_where=sa.text('uscc IS NOT NULL'))
    op.drop_index('uq_helper_id_hash', table_name='helper', postgresql_where=sa.text('id_hash IS NOT NULL'))
    op.drop_index(op.f('ix_helper_region_code'), table_name='helper')
    op.drop_table('helper')
