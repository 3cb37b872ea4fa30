"""Change requests (A2): JSON Patch-like changes into the household answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from app.kit.schemas import In, Out


class ChangeIn(In):
    op: Literal["add", "replace", "remove"]
    path: str = Field(min_length=2, max_length=200, pattern=r"^/")
    value: Any = None


class ChangeRequestIn(In):
    household_id: uuid.UUID
    changes: list[ChangeIn] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)
    effective_from: date | None = None


class ChangeDecisionIn(In):
    decision: Literal["accept", "reject"]
    notes: str | None = Field(None, max_length=2000)


class ChangeRequestOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    village_code: str
    changes: list[dict[str, Any]]
    touches: list[str]
    reason: str
    effective_from: date
    state: Literal["open", "accepted", "rejected"]
    proposed_by: str
    proposed_by_name: str
    decided_by: str | None
    decided_by_name: str | None
    decided_at: datetime | None
    decision_notes: str | None
    result: dict[str, Any] | None
    version: int
    created_at: datetime
