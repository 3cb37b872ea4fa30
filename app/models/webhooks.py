"""Webhook subscriptions and their deliveries (API.md, "Integration")."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, Boolean, ForeignKey, Identity, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, uuid_pk


class Webhook(Base):
    """A subscription: events of some types in a region are POSTed, in order, to a URL.

    `cursor` is the feed position of the last event delivered; a failing endpoint is retried with backoff
    and nothing after it is skipped, so no event is ever lost."""

    __tablename__ = "webhook"

    id: Mapped[uuid.UUID] = uuid_pk()
    url: Mapped[str] = mapped_column(Text)
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    types: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    owner: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = created_at()
    # "webhook" (HMAC-signed events) or a channel registered in app.webhooks.service.CHANNELS
    # ("dci": a DCI sender's signed callbacks and notifications, on the same cursor and backoff).
    kind: Mapped[str] = mapped_column(String(16), default="webhook", server_default="webhook")


class WebhookDelivery(Base):
    """One attempt to deliver one event to one webhook (kept for inspection)."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = created_at()
