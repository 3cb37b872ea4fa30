"""Request and answer shapes of /api/v1/dibao (API.md "Dibao and insurance", "Dibao case")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from app.kit.schemas import Day, In, Out

MONEY = {"max_digits": 14, "decimal_places": 2}


class StandardIn(In):
    region_code: str = Field(pattern=r"^[0-9]{6}000000$", description="a 市(區), 12 digits")
    # Bounded (Day) so that the month on or after it (D7) is always a date.
    effective_from: Day = Field(description="1900-01-01..2099-12-31")
    amount: Decimal = Field(gt=0, **MONEY, description="yuan per person per month (D1)")


class StandardOut(Out):
    id: uuid.UUID
    region_code: str
    effective_from: date
    amount: Decimal
    recorded_by_name: str
    created_at: datetime


class CaseIn(In):
    household_id: uuid.UUID
    applied_on: Day
    single_person_member_id: uuid.UUID | None = None
    declared_monthly_income: Decimal | None = Field(
        None, ge=0, **MONEY,
        description="verified monthly income; required for a single-person case (D4)")


class CheckIn(In):
    kind: Literal["deposits", "vehicles", "real_estate", "business", "other"]
    passed: bool
    source: str = Field(min_length=1, max_length=200)
    checked_on: Day
    reason: str | None = Field(None, max_length=1000)


class PublicityIn(In):
    start: Day
    end: Day
    reason: str | None = Field(None, max_length=1000)


class DecisionIn(In):
    decision: Literal["approve", "reject"]
    decided_on: Day
    start_month: str | None = Field(None, pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$",
                                    description="YYYY-MM, years 1900-2099; default: the month "
                                                "on or after the decision")
    reason: str = Field(min_length=1, max_length=1000)


class StepIn(In):
    """Suspend, resume or terminate: the date it takes effect and why."""

    on: Day = Field(alias="date", description="the date it takes effect")
    reason: str = Field(min_length=1, max_length=1000)


class ReasonOut(Out):
    rule: str
    clause: str
    detail: str


class FlagOut(Out):
    code: str
    rule: str
    clause: str
    detail: str
    member_id: uuid.UUID | None = None
    role: str | None = None


class PeriodOut(Out):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date | None
    standard: Decimal
    covered_persons: int
    household_monthly_income: Decimal
    monthly_benefit: Decimal
    suspended: bool = Field(description="a suspended month (D5): nothing is paid")
    d2_met: bool
    reason: ReasonOut

    model_config = {"populate_by_name": True, "from_attributes": True}


class StepOut(Out):
    seq: int
    action: str
    on: date
    officer: str
    officer_name: str
    reason: str | None
    details: dict


class CaseSummaryOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    region_code: str
    single_person_member_id: uuid.UUID | None
    applied_on: date
    declared_monthly_income: Decimal | None
    state: str
    flagged: bool
    publicity_start: date | None
    publicity_end: date | None
    decided_on: date | None
    start_month: date | None
    version: int


class CaseOut(CaseSummaryOut):
    as_of: date
    covered_persons: int | None
    monthly_benefit: Decimal | None
    needs_review: bool
    flags: list[FlagOut]
    periods: list[PeriodOut]
    history: list[StepOut]


class GrantOut(Out):
    case_id: uuid.UUID
    household_id: uuid.UUID
    region_code: str
    single_person_member_id: uuid.UUID | None
    start_month: date
    covered_persons: int
    covered_member_ids: list[uuid.UUID]
    monthly_benefit: Decimal | None
    period_from: date | None
    needs_review: bool


class ReviewItemOut(Out):
    case_id: uuid.UUID
    household_id: uuid.UUID
    region_code: str
    state: str
    since: date
    monthly_benefit: Decimal
    reasons: list[ReasonOut]
