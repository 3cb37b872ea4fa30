"""attachments (A4)

Revision ID: 0904
Revises: 0903
Create Date: 2026-12-01 09:04:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0904"
down_revision: str | None = "0903"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attachment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_type', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('step_seq', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("content_type IN ('image/jpeg','image/png','application/pdf')", name=op.f('ck_attachment_content_type_known')),
    sa.CheckConstraint("owner_type IN ('proposal','change_request','exit','visit')", name=op.f('ck_attachment_owner_type_known')),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_attachment_sha256_hex')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    op.create_index(op.f('ix_attachment_household_id'), 'attachment', ['household_id'], unique=False)
    op.create_index('ix_attachment_owner', 'attachment', ['owner_type', 'owner_id'], unique=False)
    op.create_index(op.f('ix_attachment_region_code'), 'attachment', ['region_code'], unique=False)
    op.create_index(op.f('ix_attachment_sha256'), 'attachment', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attachment_sha256', table_name='attachment')
    op.drop_index('ix_attachment_region_code', table_name='attachment')
    op.drop_index('ix_attachment_owner', table_name='attachment')
    op.drop_index('ix_attachment_household_id', table_name='attachment')
    op.drop_table('attachment')
