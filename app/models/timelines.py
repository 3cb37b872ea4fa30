"""Timelines: the answers the rules gave, stored per date range (see app/policy/timeline.py).

One row per segment: `valid` is the daterange [from, to) on which the answers hold (unbounded
ends for the first and last segments), indexed with GiST so that "as of D" is `valid @> D`.
The rows are derived: `app.timelines` writes them in the same transaction as the facts they rest
on, and `xiaokang rebuild-timelines` rebuilds them from the facts.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import DATERANGE, JSONB, Range
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class HouseholdTimeline(Base):
    """A household's answers on every date of `valid`: status (R6), support type (R4), the latest
    registration, exit and retention end (R7), the assessment in force (R8) with per-capita income
    and the line in force (R1, the policy-data version used), the R5 target and the
    household-level entitlements (E7) with reasons."""

    __tablename__ = "household_timeline"
    __table_args__ = (
        Index("ix_household_timeline_valid", "valid", postgresql_using="gist"),
        Index("ix_household_timeline_household_id", "household_id"),
        # reports list a region's first households that fall short in (village, id) order
        Index("ix_household_timeline_village_code_household_id", "village_code", "household_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    valid: Mapped[Range[date]] = mapped_column(DATERANGE)
    village_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str | None] = mapped_column(String(12))
    support_type: Mapped[str] = mapped_column(String(12))
    registered_on: Mapped[date | None] = mapped_column(Date)
    exit_date: Mapped[date | None] = mapped_column(Date)
    retention_end: Mapped[date | None] = mapped_column(Date)
    persons: Mapped[int] = mapped_column(Integer)
    assessment_id: Mapped[uuid.UUID | None]
    assessment_year: Mapped[int | None] = mapped_column(Integer)
    net_income: Mapped[Decimal | None]
    per_capita_income: Mapped[Decimal | None]
    line_amount: Mapped[Decimal | None]
    line_region: Mapped[str | None] = mapped_column(String(12))
    line_from: Mapped[date | None] = mapped_column(Date)
    target_met: Mapped[bool] = mapped_column(Boolean)
    answers: Mapped[dict] = mapped_column(JSONB)  # support and target reasons, E7 templates


class PersonTimeline(Base):
    """A member's answers on every date of `valid`: membership, the attribute version in force,
    dibao coverage (D5) with the covering grant and its monthly benefit (D7), and each
    person-level entitlement with eligible, basis and reasons (as templates: `{on}` is the date
    asked, `{age}` the age on it)."""

    __tablename__ = "person_timeline"
    __table_args__ = (
        Index("ix_person_timeline_valid", "valid", postgresql_using="gist"),
        Index("ix_person_timeline_person_id", "person_id"),
        Index("ix_person_timeline_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household_member.id"))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    valid: Mapped[Range[date]] = mapped_column(DATERANGE)
    ordinal: Mapped[int] = mapped_column(Integer)  # the member's place in the household's order
    birth_date: Mapped[date] = mapped_column(Date)
    is_member: Mapped[bool] = mapped_column(Boolean)
    attributes: Mapped[dict | None] = mapped_column(JSONB)
    dibao_covered: Mapped[bool] = mapped_column(Boolean)
    dibao_detail: Mapped[str | None] = mapped_column(Text)
    dibao_case_id: Mapped[uuid.UUID | None]  # the grant covering the member (no FK: derived)
    dibao_amount: Mapped[Decimal | None]  # that grant's monthly benefit then (D7)
    entitlements: Mapped[list] = mapped_column(JSONB)
