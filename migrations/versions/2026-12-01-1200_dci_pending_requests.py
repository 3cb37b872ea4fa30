"""DCI: the requests of an asynchronous search kept (encrypted) until it is answered

Revision ID: 1002
Revises: 1001
Create Date: 2026-12-01 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1002"
down_revision: str | None = "1001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dci_transaction", sa.Column("request_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("dci_transaction", "request_enc")
