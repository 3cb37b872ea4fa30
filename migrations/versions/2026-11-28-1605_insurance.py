"""insurance: schemes with their versions, roster runs, roster entries and entry history (I1-I4)

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-28 16:05:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=14, scale=2)
PERCENT = sa.Numeric(precision=5, scale=2)
SHARES_ALL_OR_NONE = (
    "(share_city IS NULL AND share_district IS NULL AND share_town IS NULL) OR "
    "(share_city IS NOT NULL AND share_district IS NOT NULL AND share_town IS NOT NULL)"
)


def _now() -> sa.Column:
    return sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        'insurance_scheme',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('premium', MONEY, nullable=False),
        sa.Column('reference_date', sa.Date(), nullable=False),
        sa.Column('funding_body', sa.String(length=100), nullable=False),
        sa.Column('share_city', PERCENT, nullable=True),
        sa.Column('share_district', PERCENT, nullable=True),
        sa.Column('share_town', PERCENT, nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        _now(),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("kind IN ('basic_medical', 'major_illness_accident')",
                           name=op.f('ck_insurance_scheme_kind_known')),
        sa.CheckConstraint('premium > 0', name=op.f('ck_insurance_scheme_premium_positive')),
        sa.CheckConstraint(SHARES_ALL_OR_NONE, name=op.f('ck_insurance_scheme_shares_all_or_none')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_scheme')),
        sa.UniqueConstraint('year', 'kind', name=op.f('uq_insurance_scheme_year_kind')),
    )
    op.create_table(
        'insurance_scheme_version',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('scheme_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('premium', MONEY, nullable=False),
        sa.Column('reference_date', sa.Date(), nullable=False),
        sa.Column('funding_body', sa.String(length=100), nullable=False),
        sa.Column('share_city', PERCENT, nullable=True),
        sa.Column('share_district', PERCENT, nullable=True),
        sa.Column('share_town', PERCENT, nullable=True),
        sa.Column('recorded_by', sa.String(length=100), nullable=False),
        _now(),
        sa.ForeignKeyConstraint(['scheme_id'], ['insurance_scheme.id'],
                                name=op.f('fk_insurance_scheme_version_scheme_id_insurance_scheme')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_scheme_version')),
        sa.UniqueConstraint('scheme_id', 'version',
                            name=op.f('uq_insurance_scheme_version_scheme_id_version')),
    )
    op.create_table(
        'insurance_roster_run',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('scheme_id', sa.Uuid(), nullable=False),
        sa.Column('scheme_version', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('reference_date', sa.Date(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('removed', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.Column('refreshed', sa.Integer(), nullable=False),
        sa.Column('generated_by', sa.String(length=100), nullable=False),
        sa.Column('generated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['scheme_id'], ['insurance_scheme.id'],
                                name=op.f('fk_insurance_roster_run_scheme_id_insurance_scheme')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_roster_run')),
    )
    op.create_index('ix_insurance_roster_run_scheme', 'insurance_roster_run', ['scheme_id', 'id'])
    op.create_table(
        'insurance_roster_entry',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('scheme_id', sa.Uuid(), nullable=False),
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('household_id', sa.Uuid(), nullable=False),
        sa.Column('id_number_enc', sa.LargeBinary(), nullable=False),
        sa.Column('id_hash', sa.LargeBinary(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('village_code', sa.String(length=12), nullable=False),
        sa.Column('district_code', sa.String(length=12), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('share_city', MONEY, nullable=True),
        sa.Column('share_district', MONEY, nullable=True),
        sa.Column('share_town', MONEY, nullable=True),
        sa.Column('basis', sa.String(length=10), nullable=False),
        sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('state_reason', sa.Text(), nullable=True),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        _now(),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("state IN ('pending', 'confirmed', 'rejected', 'withdrawn')",
                           name=op.f('ck_insurance_roster_entry_state_known')),
        sa.CheckConstraint("basis IN ('direct', 'retained')",
                           name=op.f('ck_insurance_roster_entry_basis_known')),
        sa.ForeignKeyConstraint(['scheme_id'], ['insurance_scheme.id'],
                                name=op.f('fk_insurance_roster_entry_scheme_id_insurance_scheme')),
        sa.ForeignKeyConstraint(['person_id'], ['household_member.id'],
                                name=op.f('fk_insurance_roster_entry_person_id_household_member')),
        sa.ForeignKeyConstraint(['household_id'], ['household.id'],
                                name=op.f('fk_insurance_roster_entry_household_id_household')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_roster_entry')),
        sa.UniqueConstraint('scheme_id', 'person_id',
                            name=op.f('uq_insurance_roster_entry_scheme_id_person_id')),
    )
    op.create_index(op.f('ix_insurance_roster_entry_household_id'), 'insurance_roster_entry',
                    ['household_id'])
    op.create_index('ix_insurance_roster_entry_scheme_hash', 'insurance_roster_entry',
                    ['scheme_id', 'id_hash'])
    op.create_index('ix_insurance_roster_entry_scheme_village', 'insurance_roster_entry',
                    ['scheme_id', 'village_code'])
    op.create_table(
        'insurance_entry_history',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('entry_id', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(
            ['entry_id'], ['insurance_roster_entry.id'],
            name=op.f('fk_insurance_entry_history_entry_id_insurance_roster_entry')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_entry_history')),
    )
    op.create_index('ix_insurance_entry_history_entry', 'insurance_entry_history',
                    ['entry_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_insurance_entry_history_entry', table_name='insurance_entry_history')
    op.drop_table('insurance_entry_history')
    op.drop_index('ix_insurance_roster_entry_scheme_village', table_name='insurance_roster_entry')
    op.drop_index('ix_insurance_roster_entry_scheme_hash', table_name='insurance_roster_entry')
    op.drop_index(op.f('ix_insurance_roster_entry_household_id'),
                  table_name='insurance_roster_entry')
    op.drop_table('insurance_roster_entry')
    op.drop_index('ix_insurance_roster_run_scheme', table_name='insurance_roster_run')
    op.drop_table('insurance_roster_run')
    op.drop_table('insurance_scheme_version')
    op.drop_table('insurance_scheme')
