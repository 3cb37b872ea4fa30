"""Decision records and their replay."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel


class DecisionOut(BaseModel):
    id: uuid.UUID
    kind: str
    subject_type: str
    subject_id: uuid.UUID
    household_id: uuid.UUID | None
    region_code: str
    decided_on: date
    outcome: str
    entrance: Literal["direct", "proposal", "change_request", "import"]
    proposal_id: uuid.UUID | None
    rules: list[str]
    facts: dict[str, Any]
    policy_versions: dict[str, Any]
    reasons: list[dict[str, Any]]
    decided_by: str
    created_at: datetime


class Difference(BaseModel):
    path: str
    recorded: Any
    now: Any


class ReplayOut(BaseModel):
    decision_id: uuid.UUID
    result: Literal["same", "different"]
    recorded_outcome: str
    replayed_outcome: str
    differences: list[Difference]
    replayed_reasons: list[dict[str, Any]]
    refusals: list[str]
