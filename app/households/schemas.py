"""Request and answer shapes of the household registry (API.md "Core shapes")."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from app.kit.schemas import Day, In, Out, PastDay

Cause = Literal["illness", "disability", "schooling", "disaster", "marriage", "land", "water",
                "skills", "capital", "labour", "transport", "drive", "other"]
Labour = Literal["ordinary", "skilled", "partial", "lost", "none"]
Health = Literal["healthy", "chronic", "serious_illness", "disabled"]
Status = Literal["registered", "exited", "removed"]
SupportType = Literal["development", "relief"]
MeasureKind = Literal["industry", "employment", "training", "education", "medical", "dibao",
                      "microcredit", "asset_income", "ecommerce", "other"]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class CausesIn(In):
    main: Cause
    others: list[Cause] = Field(default_factory=list, max_length=2)


class DisabilityIn(In):
    category: int = Field(ge=1, le=7)
    grade: int = Field(ge=1, le=4, description="1 is most severe; 1-2 are 重度 severe")


class AssessmentIn(In):
    year: int = Field(ge=2000, le=2100)
    wage_income: Money = Decimal("0.00")
    business_income: Money = Decimal("0.00")
    property_income: Money = Decimal("0.00")
    transfer_income: Money = Decimal("0.00")
    production_costs: Money = Decimal("0.00")
    assessed_on: PastDay | None = Field(None, description="default 31 December of the year (R8)")


class AssessmentCreate(AssessmentIn):
    persons: int | None = Field(None, ge=1, description=(
        "members the income is divided by; default the members on the assessment date"))


class MemberAttributesIn(In):
    labour_capacity: Labour
    health: Health
    disability: DisabilityIn | None = None
    in_school: bool = False
    stable_nonfarm_employment: bool = False
    tekun_since: PastDay | None = Field(None, description="特困 (destitute) since this date")


class MemberIn(MemberAttributesIn):
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32)
    relation: str = Field(pattern=r"^[0-9]{2}$", description="GB/T 4761; the head is 02")
    joined_on: PastDay | None = Field(None, description="default: the registration date (or today)")


class MemberPatch(In):
    """Changed attributes, in force from `effective_from` (default today): a new version."""

    effective_from: Day | None = None
    labour_capacity: Labour | None = None
    health: Health | None = None
    disability: DisabilityIn | None = None
    in_school: bool | None = None
    stable_nonfarm_employment: bool | None = None
    tekun_since: PastDay | None = None


class LeaveIn(In):
    left_on: Day
    reason: Literal["moved", "deceased", "married_out", "other"]


class HouseholdIn(In):
    village_code: RegionCode
    group: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=200)
    registered_on: PastDay
    causes: CausesIn
    assessment: AssessmentIn
    members: list[MemberIn] = Field(min_length=1, max_length=50)


class HouseholdPatch(In):
    group: str | None = Field(None, max_length=50)
    address: str | None = Field(None, max_length=200)
    causes: CausesIn | None = None


class ExitIn(In):
    exit_date: Day
    signed_by_member_id: uuid.UUID | None = None
    signed_on: Day | None = None
    publicity_start: Day | None = None
    publicity_end: Day | None = None
    reason: str | None = Field(None, max_length=500)


class ReturnIn(In):
    date: Day
    assessment_year: int = Field(ge=2000, le=2100)
    reason: str = Field(min_length=1, max_length=500)


class RemoveIn(In):
    date: Day
    reason: Literal["wrongly_identified", "deceased", "moved_away", "other"]
    note: str | None = Field(None, max_length=500)


class MeasureIn(In):
    kind: MeasureKind
    income_generating: bool
    project: str = Field(min_length=1, max_length=200)
    helper_id: uuid.UUID | None = None
    start_date: Day
    end_date: Day | None = None


class VisitIn(In):
    date: PastDay
    helper_id: uuid.UUID | None = Field(None, description=(
        "default: the caller's own helper for a first secretary or cadre (A5)"))
    notes: str = Field(min_length=1, max_length=4000)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    device_time: AwareDatetime | None = Field(
        None, description="the device's clock when recorded (RFC 3339 with offset)")


class MeasurePatch(In):
    """A correction or the end of a measure (If-Match on the measure's ETag)."""

    kind: MeasureKind | None = None
    income_generating: bool | None = None
    project: str | None = Field(None, min_length=1, max_length=200)
    helper_id: uuid.UUID | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class LookupIn(In):
    id_number: str = Field(min_length=1, max_length=32)
    as_of: Day | None = None


# ---- answers ----


class DisabilityOut(Out):
    category: int
    grade: int


class MemberOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    name: str
    id_number: str = Field(description="masked unless the caller holds pii:read")
    birth_date: date
    sex: Literal["male", "female"]
    relation: str
    joined_on: date
    left_on: date | None
    leave_reason: str | None
    is_member: bool = Field(description="a member on the answer's date")
    attributes_from: date | None = Field(description="effective_from of the version shown")
    labour_capacity: Labour | None
    health: Health | None
    disability: DisabilityOut | None
    in_school: bool | None
    stable_nonfarm_employment: bool | None
    tekun_since: date | None


class CausesOut(Out):
    main: Cause
    others: list[Cause]


class AssessmentOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    year: int
    version: int
    assessed_on: date
    wage_income: Decimal
    business_income: Decimal
    property_income: Decimal
    transfer_income: Decimal
    production_costs: Decimal
    net_income: Decimal
    persons: int
    per_capita_income: Decimal
    recorded_by: str
    created_at: datetime


class RetentionOut(Out):
    exit_date: date
    retention_end: date


class HouseholdOut(Out):
    id: uuid.UUID
    village_code: str
    group: str | None
    address: str | None
    as_of: date
    status: Status | None
    support_type: SupportType
    registered_on: date
    causes: CausesOut
    members: list[MemberOut]
    latest_assessment: AssessmentOut | None
    retention: RetentionOut | None
    version: int


class HouseholdItem(Out):
    id: uuid.UUID
    village_code: str
    group: str | None
    registered_on: date
    status: Status | None
    support_type: SupportType
    version: int


class HouseholdEventOut(Out):
    """A lifecycle event of a household (register, exit, return, remove)."""

    id: uuid.UUID
    household_id: uuid.UUID
    kind: Literal["register", "exit", "return", "remove"]
    date: dt.date
    seq: int
    officer: str
    officer_name: str
    reason: str | None
    retention: RetentionOut | None
    payload: dict[str, Any]
    created_at: datetime


EventOut = HouseholdEventOut  # the name used across the households module


class MeasureOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    kind: MeasureKind
    income_generating: bool
    project: str
    helper_id: uuid.UUID | None
    start_date: date
    end_date: date | None
    recorded_by: str
    created_at: datetime
    version: int = 1


class VisitOut(Out):
    id: uuid.UUID
    household_id: uuid.UUID
    date: dt.date
    helper_id: uuid.UUID | None
    notes: str
    recorded_by: str
    created_at: datetime
    latitude: float | None = None
    longitude: float | None = None
    device_time: datetime | None = None


class ReasonOut(Out):
    rule: str
    clause: str
    detail: str


class EntitlementOut(Out):
    code: str
    person_id: uuid.UUID | None
    eligible: bool
    basis: Literal["direct", "retained"] | None
    reasons: list[ReasonOut]


class EntitlementsOut(Out):
    household_id: uuid.UUID
    as_of: date
    status: Status | None
    retention: RetentionOut | None
    items: list[EntitlementOut]


class LookupHouseholdOut(Out):
    id: uuid.UUID
    village_code: str
    status: Status | None


class LookupOut(Out):
    as_of: date
    person: MemberOut
    household: LookupHouseholdOut
    entitlements: list[EntitlementOut]
