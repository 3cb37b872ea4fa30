"""Poverty lines (R1): `{region_code, effective_from, amount}`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from app.kit.schemas import Day, In, Out


class LineIn(In):
    region_code: str = Field(pattern=r"^[0-9]{12}$", description="the city or a 市(區), 12 digits")
    effective_from: Day
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2,
                            description="yuan per person per year")


class LineOut(Out):
    id: int
    region_code: str
    effective_from: date
    amount: Decimal
    created_by: str
    created_at: datetime


class PovertyLineOut(LineOut):
    """A poverty line version (R1) and whether it is in the answers yet."""

    state: Literal["applied", "pending"] = Field(
        description="pending: being applied by the worker, in no answer yet")
    applied_at: datetime | None = Field(description="when its answers took effect")


class RetentionRuleIn(In):
    effective_from: Day
    months: int = Field(ge=0, le=120, description="retention after exit, in months (R7)")


class RetentionRuleOut(Out):
    id: int
    effective_from: date
    months: int
    created_at: datetime
