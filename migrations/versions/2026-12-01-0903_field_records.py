"""visits with place and device time (A5); measure versions

Revision ID: 0903
Revises: 0902
Create Date: 2026-12-01 09:03:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0903"
down_revision: str | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('household_measure', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('household_visit', sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column('household_visit', sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column('household_visit', sa.Column('device_time', sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f('ck_household_visit_latitude_range'), 'household_visit',
                               'latitude IS NULL OR latitude BETWEEN -90 AND 90')
    op.create_check_constraint(op.f('ck_household_visit_longitude_range'), 'household_visit',
                               'longitude IS NULL OR longitude BETWEEN -180 AND 180')
    op.create_check_constraint(op.f('ck_household_visit_place_both_or_none'), 'household_visit',
                               '(latitude IS NULL) = (longitude IS NULL)')


def downgrade() -> None:
    for name in ('place_both_or_none', 'longitude_range', 'latitude_range'):
        op.drop_constraint(op.f(f'ck_household_visit_{name}'), 'household_visit', type_='check')
    op.drop_column('household_visit', 'device_time')
    op.drop_column('household_visit', 'longitude')
    op.drop_column('household_visit', 'latitude')
    op.drop_column('household_measure', 'version')
