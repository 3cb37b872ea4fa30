"""The household registry (建檔立卡, clauses 二 and 八): households, members with dated membership
and versioned attributes, yearly income assessments (R8), lifecycle events (R6/R7), help measures
and visits. History is never overwritten: every change is a new row (a version, an event)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _created_at

CAUSES = ("illness", "disability", "schooling", "disaster", "marriage", "land", "water", "skills",
          "capital", "labour", "transport", "drive", "other")
LABOUR_CAPACITIES = ("ordinary", "skilled", "partial", "lost", "none")
HEALTH = ("healthy", "chronic", "serious_illness", "disabled")
LEAVE_REASONS = ("moved", "deceased", "married_out", "other")
EVENT_KINDS = ("register", "exit", "return", "remove")
REMOVE_REASONS = ("wrongly_identified", "deceased", "moved_away", "other")
MEASURE_KINDS = ("industry", "employment", "training", "education", "medical", "dibao",
                 "microcredit", "asset_income", "ecommerce", "other")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Household(Base):
    """A registered household (建檔立卡戶). Its status is derived from its events, never stored."""

    __tablename__ = "household"

    id: Mapped[uuid.UUID] = uuid_pk()
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    group_name: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(200))
    registered_on: Mapped[date] = mapped_column(Date)
    cause_main: Mapped[str] = mapped_column(String(20))
    cause_others: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    # Bumped on every change to the household or its members (the ETag).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class HouseholdMember(Base):
    """A person's membership of a household (joined_on ≤ d < left_on), with the ID number
    encrypted and its keyed hash for lookup (unique among current members)."""

    __tablename__ = "household_member"
    __table_args__ = (
        CheckConstraint("relation ~ '^[0-9]{2}$'", name="relation_code"),
        CheckConstraint("sex IN ('male','female')", name="sex_known"),
        CheckConstraint("left_on IS NULL OR left_on > joined_on", name="left_after_joined"),
        CheckConstraint(f"leave_reason IS NULL OR {_in('leave_reason', LEAVE_REASONS)}",
                        name="leave_reason_known"),
        # A number belongs to at most one current member across all households.
        Index("uq_household_member_current_id_hash", "id_hash", unique=True,
              postgresql_where=text("left_on IS NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary, index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    relation: Mapped[str] = mapped_column(String(2))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = _created_at()


class MemberAttributeVersion(Base):
    """Member attributes in force from `effective_from` until a later version (section 3).
    Two versions with the same date: the later row (higher id) is a correction and wins."""

    __tablename__ = "member_attribute_version"
    __table_args__ = (
        CheckConstraint(_in("labour_capacity", LABOUR_CAPACITIES), name="labour_known"),
        CheckConstraint(_in("health", HEALTH), name="health_known"),
        CheckConstraint("disability_category IS NULL OR disability_category BETWEEN 1 AND 7",
                        name="disability_category_range"),
        CheckConstraint("disability_grade IS NULL OR disability_grade BETWEEN 1 AND 4",
                        name="disability_grade_range"),
        CheckConstraint("(disability_category IS NULL) = (disability_grade IS NULL)",
                        name="disability_both_or_none"),
        Index("ix_member_attribute_version_member_from", "member_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household_member.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    labour_capacity: Mapped[str] = mapped_column(String(10))
    health: Mapped[str] = mapped_column(String(20))
    disability_category: Mapped[int | None] = mapped_column(Integer)
    disability_grade: Mapped[int | None] = mapped_column(Integer)
    in_school: Mapped[bool] = mapped_column(Boolean, default=False)
    stable_nonfarm_employment: Mapped[bool] = mapped_column(Boolean, default=False)
    tekun_since: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()


class HouseholdAssessment(Base):
    """A yearly income assessment (R8), in force from `assessed_on`; a correction of a year is
    a new row with the next `version`, the old one kept."""

    __tablename__ = "household_assessment"
    __table_args__ = (
        UniqueConstraint("household_id", "year", "version"),
        CheckConstraint("persons >= 1", name="persons_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    assessed_on: Mapped[date] = mapped_column(Date)
    wage_income: Mapped[Decimal]
    business_income: Mapped[Decimal]
    property_income: Mapped[Decimal]
    transfer_income: Mapped[Decimal]
    production_costs: Mapped[Decimal]
    net_income: Mapped[Decimal]
    # Members the income is divided by (R1): the household's current members when recorded.
    persons: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()


class HouseholdEvent(Base):
    """A lifecycle event (R6): register, exit, return, remove; ordered by (occurred_on, seq)."""

    __tablename__ = "household_event"
    __table_args__ = (
        UniqueConstraint("household_id", "seq"),
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind_known"),
        CheckConstraint("kind = 'exit' OR retention_months IS NULL", name="retention_on_exit"),
        Index("ix_household_event_household_on", "household_id", "occurred_on", "seq"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    occurred_on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(100))
    officer_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    # R7: the retention length in force on the exit date, kept with the exit so that a later
    # change of the rule never rewrites past exits.
    retention_months: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = _created_at()


class HouseholdMeasure(Base):
    """A help measure of the household's plan (R5: income-generating ones count)."""

    __tablename__ = "household_measure"
    __table_args__ = (
        CheckConstraint(_in("kind", MEASURE_KINDS), name="kind_known"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    income_generating: Mapped[bool] = mapped_column(Boolean)
    project: Mapped[str] = mapped_column(String(200))
    helper_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # no FK: helpers are elsewhere
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()
    # Bumped on every correction or ending (the measure's ETag; PATCH needs If-Match).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class HouseholdVisit(Base):
    """A help record (幫扶有記載): a visit with its date, helper and notes."""

    __tablename__ = "household_visit"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180",
                        name="longitude_range"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="place_both_or_none"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    helper_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    notes: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()
    # A5: where and when the device says the visit was recorded (optional)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    device_time: Mapped[datetime | None] = mapped_column()
