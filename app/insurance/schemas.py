"""Request and answer shapes of /api/v1/insurance (API.md "Dibao and insurance")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from app.kit.schemas import Day, In, Out

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}
Kind = Literal["basic_medical", "major_illness_accident"]
MAX_CONFIRMATIONS = 10_000


class SharesIn(In):
    """(十三, I4) percentages paid by the city, the 市(區) and the town; together exactly 100."""

    city: Decimal = Field(**PERCENT)
    district: Decimal = Field(**PERCENT)
    town: Decimal = Field(**PERCENT)


class SharesOut(Out):
    city: Decimal
    district: Decimal
    town: Decimal


class SchemeIn(In):
    year: int = Field(ge=2016, le=2100)
    kind: Kind
    premium: Decimal = Field(**MONEY, description="yuan per person (I1)")
    reference_date: Day | None = Field(None, description="default: 1 January of the year (I1)")
    funding_body: str = Field(min_length=1, max_length=100)
    shares: SharesIn | None = Field(None, description="major_illness_accident only (I4)")


class SchemePatch(In):
    """Changed fields of a scheme (If-Match); allowed until its roster is first generated."""

    premium: Decimal | None = Field(None, **MONEY)
    reference_date: Day | None = None
    funding_body: str | None = Field(None, min_length=1, max_length=100)
    shares: SharesIn | None = None


class SchemeOut(Out):
    id: uuid.UUID
    year: int
    kind: str
    premium: Decimal
    reference_date: date
    funding_body: str
    shares: SharesOut | None
    version: int
    created_at: datetime
    updated_at: datetime


class RosterIn(In):
    year: int = Field(ge=2016, le=2100)
    kind: Kind


class RosterTotals(Out):
    entries: int
    pending: int
    confirmed: int
    rejected: int
    withdrawn: int
    flagged: int
    amount: Decimal = Field(description="sum over pending and confirmed rows")
    confirmed_amount: Decimal


class RosterOut(Out):
    year: int
    kind: str
    reference_date: date
    region_code: str
    added: int
    removed: int
    unchanged: int
    flagged: int
    refreshed: int = Field(description="pending rows whose amount, basis or reasons were updated")
    totals: RosterTotals


class ReasonOut(Out):
    rule: str
    clause: str
    detail: str


class EntryOut(Out):
    id: int
    person_id: uuid.UUID
    id_number: str = Field(description="masked unless the caller holds pii:read")
    name: str
    household_id: uuid.UUID
    village_code: str
    district_code: str
    amount: Decimal
    shares: SharesOut | None = Field(description="yuan paid by city, 市(區), town (I4)")
    basis: str
    reasons: list[ReasonOut]
    state: str
    state_reason: str | None
    flagged: bool
    updated_at: datetime


class ConfirmationIn(In):
    id_number: str = Field(min_length=1, max_length=32)
    state: Literal["confirmed", "rejected"]
    reason: str | None = Field(None, max_length=500)


class ConfirmationResult(Out):
    index: int
    id_number: str = Field(description="masked unless the caller holds pii:read")
    result: Literal["ok", "unknown_person", "not_on_roster", "already_in_state",
                    "duplicate_in_request", "row_withdrawn", "invalid_id_number"]
    state: str | None = Field(description="the row's state after this request")


class ConfirmationsOut(Out):
    year: int
    kind: str
    received: int
    applied: int
    counts: dict[str, int]
    results: list[ConfirmationResult]
