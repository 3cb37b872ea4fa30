"""DCI Social Registry: senders, message ids, transactions, subscriptions; webhook channel kind

Revision ID: 0801
Revises: 0501
Create Date: 2026-12-01 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0801"
down_revision: str | None = "0501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook", sa.Column("kind", sa.String(length=16), server_default="webhook",
                                       nullable=False))
    op.create_table(
        "dci_sender",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.String(length=99), nullable=False),
        sa.Column("client_ref", sa.Uuid(), nullable=False),
        sa.Column("public_keys", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("jwks_uri", sa.Text(), nullable=True),
        sa.Column("jwks_cache", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("jwks_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_uri", sa.Text(), nullable=True),
        sa.Column("signature_required", sa.Boolean(), nullable=False),
        sa.Column("purposes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["client_ref"], ["api_client.id"],
                                name=op.f("fk_dci_sender_client_ref_api_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_sender")),
        sa.UniqueConstraint("sender_id", name=op.f("uq_dci_sender_sender_id")),
    )
    op.create_index(op.f("ix_dci_sender_client_ref"), "dci_sender", ["client_ref"])
    op.create_table(
        "dci_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sender_id", sa.String(length=99), nullable=False),
        sa.Column("message_id", sa.String(length=99), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_message")),
        sa.UniqueConstraint("sender_id", "message_id",
                            name=op.f("uq_dci_message_sender_id_message_id")),
    )
    op.create_index("ix_dci_message_sender_id_received_at", "dci_message",
                    ["sender_id", "received_at"])
    op.create_table(
        "dci_transaction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sender_id", sa.String(length=99), nullable=False),
        sa.Column("transaction_id", sa.String(length=99), nullable=False),
        sa.Column("message_id", sa.String(length=99), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reference_ids", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pages_delivered", sa.Integer(), nullable=False),
        sa.Column("response_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_transaction")),
    )
    op.create_index("ix_dci_transaction_sender_id_transaction_id", "dci_transaction",
                    ["sender_id", "transaction_id"])
    op.create_table(
        "dci_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=99), nullable=False),
        sa.Column("sender_id", sa.String(length=99), nullable=False),
        sa.Column("transaction_id", sa.String(length=99), nullable=False),
        sa.Column("reference_id", sa.String(length=99), nullable=False),
        sa.Column("reg_event_type", sa.String(length=32), nullable=False),
        sa.Column("filter", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notify_record_type", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("from_position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_subscription")),
        sa.UniqueConstraint("code", name=op.f("uq_dci_subscription_code")),
    )
    op.create_index(op.f("ix_dci_subscription_sender_id"), "dci_subscription", ["sender_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_dci_subscription_sender_id"), table_name="dci_subscription")
    op.drop_table("dci_subscription")
    op.drop_index("ix_dci_transaction_sender_id_transaction_id", table_name="dci_transaction")
    op.drop_table("dci_transaction")
    op.drop_index("ix_dci_message_sender_id_received_at", table_name="dci_message")
    op.drop_table("dci_message")
    op.drop_index(op.f("ix_dci_sender_client_ref"), table_name="dci_sender")
    op.drop_table("dci_sender")
    op.drop_column("webhook", "kind")
