"""The append-only audit log, the event outbox and stored idempotent answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at


class AuditLog(Base):
    """Who changed what (or read what). The database refuses UPDATE, DELETE and TRUNCATE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = created_at()
    actor: Mapped[str] = mapped_column(String(100))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The tamper-evident chain (app/audit/chain.py), sealed at commit by a database trigger.
    txid: Mapped[int | None] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text::bigint)"), index=True)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    row_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    chain_hash: Mapped[bytes | None] = mapped_column(LargeBinary)


class Event(Base):
    """The outbox of the change feed, written in the same transaction as the change."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The feed's order. Given at commit by a deferred trigger under a short advisory lock, so
    # positions become visible in increasing order: a reader that has seen position N will never
    # later find an event below N (ids, drawn at insert, can commit out of order).
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = created_at()
    txid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text::bigint)"), index=True
    )
    type: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)


class IdempotentRequest(Base):
    __tablename__ = "idempotent_request"

    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
