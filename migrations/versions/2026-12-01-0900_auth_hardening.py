"""Auth hardening: token versions, refresh-token scopes, login failures per client address

Revision ID: 0101
Revises: 0701
Create Date: 2026-12-01 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
down_revision: str | None = "0701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("token_version", sa.Integer(), server_default="1",
                                        nullable=False))
    op.add_column("refresh_token", sa.Column("scope", sa.Text(), nullable=True))
    op.add_column("login_failure", sa.Column("address", sa.String(length=64), server_default="",
                                             nullable=False))
    op.create_index("ix_login_failure_username_address_at", "login_failure",
                    ["username", "address", "at"], unique=False)
    op.create_index("ix_login_failure_address_at", "login_failure", ["address", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failure_address_at", table_name="login_failure")
    op.drop_index("ix_login_failure_username_address_at", table_name="login_failure")
    op.drop_column("login_failure", "address")
    op.drop_column("refresh_token", "scope")
    op.drop_column("app_user", "token_version")
