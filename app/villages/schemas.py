"""Weak-village lines, village incomes, the eight haves, and the village answers."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from app.kit.schemas import In, Out
from app.policy_lines.schemas import LineIn, LineOut


class WeakLineIn(LineIn):
    """R2: the same shape as a poverty line; the amount is collective income per year."""

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2,
                            description="yuan of collective income per year")


WeakLineOut = LineOut


class ReasonOut(Out):
    rule: str
    clause: str
    detail: str


class IncomeIn(In):
    collective_income: Decimal = Field(ge=0, max_digits=14, decimal_places=2,
                                       description="the village's collective income of the year, yuan")


class YearOut(Out):
    """A year of a village: its collective income and weak status against the R2 line in force on
    31 December of that year (null when no line was in force then)."""

    year: int
    collective_income: Decimal
    line: Decimal | None
    weak: bool | None
    reasons: list[ReasonOut]
    version: int


class EightHaveItemIn(In):
    met: bool
    evidence: str | None = Field(None, max_length=2000)


class EightHavesIn(In):
    items: dict[str, EightHaveItemIn] = Field(
        description="all eight items: strong_leadership, development_plan, farm_facilities, "
                    "leading_industry, collective_income, information_network, civil_customs, "
                    "living_environment")


class EightHaveItemOut(Out):
    met: bool
    evidence: str | None


class EightHavesOut(Out):
    year: int
    items: dict[str, EightHaveItemOut]
    met_all: bool
    reasons: list[ReasonOut]
    version: int


class VillageOut(Out):
    code: str
    name: str
    town_code: str | None
    areas: list[str]
    years: list[YearOut]
    eight_haves: EightHavesOut | None


class VillageItem(Out):
    """A village in a list, with the status of the requested year (else its latest year)."""

    code: str
    name: str
    town_code: str | None
    areas: list[str]
    year: int | None
    collective_income: Decimal | None
    line: Decimal | None
    weak: bool | None
