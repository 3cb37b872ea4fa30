"""PII key rotation: the state of the keys, one row shared by every process

`aes_kid` / `hash_kid` name the keys that encrypt and hash (0 is the original pair); during a
rotation `old_aes_kid` / `old_hash_kid` are still read and looked up, and `progress` records how
far the re-encryption got in each table, so a killed rotation resumes (app/keyrotation.py).

Revision ID: 1001
Revises: 0904
Create Date: 2026-12-01 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1001"
down_revision: str | None = "0904"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pii_key_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("aes_kid", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("hash_kid", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("old_aes_kid", sa.Integer(), nullable=True),
        sa.Column("old_hash_kid", sa.Integer(), nullable=True),
        sa.Column("phase", sa.Text(), server_default=sa.text("'idle'"), nullable=False),
        sa.Column("progress", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_pii_key_state_one_row")),
        sa.CheckConstraint("phase IN ('idle', 'rotating')", name=op.f("ck_pii_key_state_phase_known")),
        sa.CheckConstraint(
            "phase = 'idle' OR (old_aes_kid IS NOT NULL AND old_hash_kid IS NOT NULL)",
            name=op.f("ck_pii_key_state_rotation_has_old_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_key_state")),
    )
    op.execute("INSERT INTO pii_key_state (id) VALUES (1)")


def downgrade() -> None:
    op.drop_table("pii_key_state")
