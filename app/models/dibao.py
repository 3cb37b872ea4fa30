"""Dibao, the rural minimum living guarantee (clause 十四): standards per 市(區) (D1), cases with
their workflow steps (D5) and the favouritism matches found at application (D6).

Nothing here is overwritten: a standard is a new row per effective date, every step of a case is
a new row, and a case's benefit periods (D7) are recomputed from these facts and the household's
assessments and membership, so the answer for any past date can be reproduced.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as timestamp

CASE_STATES = ("applied", "verifying", "publicised", "approved", "rejected", "active",
               "suspended", "terminated")
# A household has at most one case in these states (D5): everything but rejected and terminated.
OPEN_STATES = ("applied", "verifying", "publicised", "approved", "active", "suspended")
STEP_ACTIONS = ("apply", "record_check", "publicise", "approve", "reject", "activate", "suspend",
                "resume", "terminate")
MATCH_ROLES = ("helper", "first_secretary", "officer")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


OPEN_STATES_SQL = _in("state", OPEN_STATES)


class DibaoStandard(Base):
    """(十四, D1) yuan per person per month for a 市(區) from `effective_from` on."""

    __tablename__ = "dibao_standard"
    __table_args__ = (
        UniqueConstraint("region_code", "effective_from"),
        CheckConstraint("region_code ~ '^[0-9]{6}000000$'", name="district_code"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = timestamp()


class DibaoCase(Base):
    """(十四, D5) an application for a household, or for one member alone (D4).

    `state` is the state after the latest step (an approved case *is* active from its start
    month on; see `app.policy.dibao_case.state_on`). `region_code` is the household's village,
    kept for row scoping.
    """

    __tablename__ = "dibao_case"
    __table_args__ = (
        CheckConstraint(_in("state", CASE_STATES), name="state_known"),
        CheckConstraint("start_month IS NULL OR extract(day FROM start_month) = 1",
                        name="start_month_first"),
        CheckConstraint("declared_monthly_income IS NULL OR declared_monthly_income >= 0",
                        name="declared_income_not_negative"),
        CheckConstraint("single_person_member_id IS NULL OR declared_monthly_income IS NOT NULL",
                        name="single_person_declares_income"),
        # (十四, D5) one open or active case per household: two concurrent applications
        # leave exactly one.
        Index("uq_dibao_case_household_open", "household_id", unique=True,
              postgresql_where=text(OPEN_STATES_SQL)),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    single_person_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("household_member.id"))
    applied_on: Mapped[date] = mapped_column(Date)
    declared_monthly_income: Mapped[Decimal | None]
    state: Mapped[str] = mapped_column(String(12))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    start_month: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = timestamp()


class DibaoCaseStep(Base):
    """(十四, D5) one step of a case: what, on which date, by whom, why; `details` holds the
    step's own fields (a check's kind, result and source; a decision's start month...)."""

    __tablename__ = "dibao_case_step"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        CheckConstraint(_in("action", STEP_ACTIONS), name="action_known"),
        Index("ix_dibao_case_step_case_action_on", "case_id", "action", "on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dibao_case.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    on: Mapped[date] = mapped_column(Date)
    officer: Mapped[str] = mapped_column(String(100))
    officer_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = timestamp()


class DibaoCaseMatch(Base):
    """(十四, D6) a covered person whose ID number is also a helper's, a first secretary's or a
    user's, found when the case was applied for; the keyed hash is kept to check the approver."""

    __tablename__ = "dibao_case_match"
    __table_args__ = (
        UniqueConstraint("case_id", "member_id", "role"),
        CheckConstraint(_in("role", MATCH_ROLES), name="role_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dibao_case.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household_member.id"))
    id_hash: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = timestamp()
