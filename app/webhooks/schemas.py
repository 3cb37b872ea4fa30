"""Webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AnyHttpUrl, Field

from app.kit.schemas import In, Out


class WebhookIn(In):
    url: AnyHttpUrl
    types: list[str] = Field(default_factory=list,
                             description="event types; `dibao.case.*` matches a family; empty: all")
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$",
                                     description="events of this region (default: the caller's)")
    from_start: bool = Field(default=False, description="deliver past events too, from the first")


class WebhookPatch(In):
    url: AnyHttpUrl | None = None
    types: list[str] | None = None
    active: bool | None = None


class WebhookOut(Out):
    id: uuid.UUID
    url: str
    types: list[str]
    region_code: str
    active: bool
    cursor: int
    failures: int
    next_attempt_at: datetime | None
    last_error: str | None
    version: int
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: verify X-Xiaokang-Signature with it")


class DeliveryOut(Out):
    id: int
    event_id: int
    attempt: int
    status_code: int | None
    error: str | None
    delivered: bool
    at: datetime
