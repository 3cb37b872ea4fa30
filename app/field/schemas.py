"""My work and the village sync."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.households.schemas import HouseholdOut


class WorkHousehold(BaseModel):
    id: uuid.UUID
    village_code: str
    group: str | None
    version: int


class Task(BaseModel):
    kind: Literal["proposal_step", "objection", "change_request", "measure_ending"]
    what: str
    due_on: date | None
    household_id: uuid.UUID | None
    proposal_id: uuid.UUID | None = None
    change_request_id: uuid.UUID | None = None
    objection_id: uuid.UUID | None = None
    measure_id: uuid.UUID | None = None


class WorkOut(BaseModel):
    as_of: date
    households: list[WorkHousehold]
    tasks: list[Task]
    proposals_waiting: list[uuid.UUID]
    change_requests_waiting: list[uuid.UUID]


class SyncHousehold(BaseModel):
    etag: str
    household: HouseholdOut


class SyncChange(BaseModel):
    position: int
    type: str
    entity_type: str
    entity_id: str | None
    at: datetime
    payload: dict[str, Any]


class SyncOut(BaseModel):
    village_code: str
    as_of: date
    cursor: str
    has_more: bool
    households: list[SyncHousehold]
    changes: list[SyncChange]
