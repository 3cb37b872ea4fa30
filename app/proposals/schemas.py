"""Proposals (A1) and objections (A3): bodies and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from app.kit.schemas import In, Out

Kind = Literal["register", "exit", "return", "remove"]
StepName = Literal["appraise", "publicise", "review", "approve", "reject"]
State = Literal["proposed", "appraised", "publicised", "reviewed", "approved", "rejected"]
RegionCode = Field(pattern=r"^[0-9]{12}$")


class ProposalIn(In):
    kind: Kind
    household_id: uuid.UUID | None = None
    village_code: str = Field(pattern=r"^[0-9]{12}$")
    # the body of the direct endpoint (POST /households, …/exit, …/return, …/remove) without its
    # date: the date of effect is the decision's date.
    payload: dict[str, Any] = Field(default_factory=dict)
    proposed_on: date | None = None
    notes: str | None = Field(None, max_length=2000)


class ProposalStepIn(In):
    step: StepName
    date: date
    notes: str | None = Field(None, max_length=2000)
    publicity_start: date | None = None
    publicity_end: date | None = None


class ObjectionIn(In):
    raised_by: str = Field(min_length=1, max_length=100)
    raised_on: date
    grounds: str = Field(min_length=1, max_length=4000)


class SettleIn(In):
    outcome: Literal["upheld", "dismissed"]
    settled_on: date
    notes: str = Field(min_length=1, max_length=4000)


class ReasonItem(Out):
    rule: str
    clause: str
    detail: str


class ProposalStepOut(Out):
    seq: int
    step: Literal["propose", "appraise", "publicise", "review", "approve", "reject"]
    state_after: State
    date: date
    officer: str
    officer_name: str
    notes: str | None
    publicity_start: date | None
    publicity_end: date | None
    reasons: list[ReasonItem]
    created_at: datetime


class ObjectionOut(Out):
    id: uuid.UUID
    proposal_id: uuid.UUID
    raised_by: str
    raised_on: date
    grounds: str
    recorded_by: str
    outcome: Literal["upheld", "dismissed"] | None
    settled_on: date | None
    settlement: str | None
    settled_by: str | None
    created_at: datetime


class ProposalOut(Out):
    id: uuid.UUID
    kind: Kind
    household_id: uuid.UUID | None
    village_code: str
    payload: dict[str, Any]
    state: State
    proposed_on: date
    proposed_by: str
    proposed_by_name: str
    publicity_start: date | None
    publicity_end: date | None
    result: dict[str, Any] | None
    steps: list[ProposalStepOut]
    objections: list[ObjectionOut]
    version: int
    created_at: datetime


class ProposalItem(Out):
    id: uuid.UUID
    kind: Kind
    household_id: uuid.UUID | None
    village_code: str
    state: State
    proposed_on: date
    proposed_by: str
    publicity_end: date | None
    version: int
