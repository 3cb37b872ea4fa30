"""The DCI Social Registry exchange: senders, received message ids, transactions, subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, uuid_pk


class DciSender(Base):
    """A department system registered to exchange with the registry under a DCI `sender_id`.

    It authenticates as one OAuth client (whose scopes and region bound what it may read) and
    signs its messages with one of its Ed25519 keys (JWKs given here, or fetched from a JWKS URI
    and cached)."""

    __tablename__ = "dci_sender"

    id: Mapped[uuid.UUID] = uuid_pk()
    sender_id: Mapped[str] = mapped_column(String(99), unique=True)
    client_ref: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id"), index=True)
    public_keys: Mapped[list[dict]] = mapped_column(JSONB, default=list)
    jwks_uri: Mapped[str | None] = mapped_column(Text)
    jwks_cache: Mapped[list[dict] | None] = mapped_column(JSONB)
    jwks_fetched_at: Mapped[datetime | None]
    callback_uri: Mapped[str | None] = mapped_column(Text)
    signature_required: Mapped[bool] = mapped_column(Boolean, default=True)
    purposes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = created_at()


class DciMessage(Base):
    """A message id received from a sender: a replay of the same id is refused."""

    __tablename__ = "dci_message"
    __table_args__ = (
        UniqueConstraint("sender_id", "message_id"),
        Index("ix_dci_message_sender_id_received_at", "sender_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(99))
    message_id: Mapped[str] = mapped_column(String(99))
    action: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = created_at()


class DciTransaction(Base):
    """One request of a sender (search, subscribe, unsubscribe) and its outcome; `id` is the
    correlation_id answered. The search response is kept encrypted (it may carry ID numbers).
    An asynchronous search is `pdng` from the ACK until every page is delivered (`succ`)."""

    __tablename__ = "dci_transaction"
    __table_args__ = (Index("ix_dci_transaction_sender_id_transaction_id", "sender_id",
                            "transaction_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    sender_id: Mapped[str] = mapped_column(String(99))
    transaction_id: Mapped[str] = mapped_column(String(99))
    message_id: Mapped[str] = mapped_column(String(99))
    action: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8))  # sync | async
    status: Mapped[str] = mapped_column(String(8))  # rcvd | pdng | succ | rjct
    reference_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    pages_delivered: Mapped[int] = mapped_column(Integer, default=0)
    response_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # an asynchronous search's requests, kept (encrypted: they may name ID numbers) from the ACK
    # until the search runs in the outbox; then None
    request_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at()
    completed_at: Mapped[datetime | None]


class DciSubscription(Base):
    """A sender's subscription to registry events (REGISTER, UPDATE, DELETE, LINK, UNLINK) with
    its filters; notified from the event feed after `from_position`."""

    __tablename__ = "dci_subscription"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(99), unique=True)
    sender_id: Mapped[str] = mapped_column(String(99), index=True)
    transaction_id: Mapped[str] = mapped_column(String(99))
    reference_id: Mapped[str] = mapped_column(String(99))
    reg_event_type: Mapped[str] = mapped_column(String(32))
    filter: Mapped[dict] = mapped_column(JSONB, default=dict)
    notify_record_type: Mapped[str] = mapped_column(String(16))  # Group | Member
    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16))  # subscribe | unsubscribe
    from_position: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at()
    ended_at: Mapped[datetime | None]
