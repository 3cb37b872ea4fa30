"""A1–A3 (POLICY.md section 11): staged proposals with their steps and objections, and the
records of every decision with the facts and policy-data versions it used."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _created_at

PROPOSAL_KINDS = ("register", "exit", "return", "remove")
PROPOSAL_STATES = ("proposed", "appraised", "publicised", "reviewed", "approved", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Proposal(Base):
    """A staged proposal (A1) to register, exit, return or remove a household."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(_in("kind", PROPOSAL_KINDS), name="kind_known"),
        CheckConstraint(_in("state", PROPOSAL_STATES), name="state_known"),
        CheckConstraint("kind = 'register' OR household_id IS NOT NULL", name="household_unless_register"),
        CheckConstraint("publicity_end IS NULL OR publicity_end >= publicity_start",
                        name="publicity_ordered"),
        Index("ix_proposal_village_code_state", "village_code", "state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(10))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    state: Mapped[str] = mapped_column(String(12), default="proposed")
    proposed_on: Mapped[date] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date)
    # what the approval wrote: {"household_id", "event_id", "decision_id"}
    result: Mapped[dict | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class ProposalStep(Base):
    """One step of a proposal with its officer, date and notes (A1)."""

    __tablename__ = "proposal_step"
    __table_args__ = (
        CheckConstraint(_in("step", ("propose", "appraise", "publicise", "review", "approve", "reject")),
                        name="step_known"),
        Index("ix_proposal_step_proposal_id_seq", "proposal_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("proposal.id"))
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(10))
    state_after: Mapped[str] = mapped_column(String(12))
    on: Mapped[date] = mapped_column("on_date", Date)
    officer: Mapped[str] = mapped_column(String(100))
    officer_name: Mapped[str] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date)
    reasons: Mapped[list] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = _created_at()


class ProposalObjection(Base):
    """An objection (异议, A3) raised during publicity, and how it was settled."""

    __tablename__ = "proposal_objection"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('upheld','dismissed')", name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (settled_on IS NULL)", name="settled_with_date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("proposal.id"), index=True)
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_on: Mapped[date] = mapped_column(Date)
    grounds: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(10))
    settled_on: Mapped[date | None] = mapped_column(Date)
    settlement: Mapped[str | None] = mapped_column(Text)
    settled_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()


class DecisionRecord(Base):
    """A decision taken (registration, exit, return, removal, dibao approval or rejection,
    change-request acceptance) with the facts, rule ids and policy-data versions it used, so that
    it can be replayed on the facts as later recorded."""

    __tablename__ = "decision_record"
    __table_args__ = (
        CheckConstraint(_in("entrance", ("direct", "proposal", "change_request", "import")),
                        name="entrance_known"),
        Index("ix_decision_record_subject", "subject_type", "subject_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(30))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID] = mapped_column()
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    decided_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20))
    entrance: Mapped[str] = mapped_column(String(20))
    proposal_id: Mapped[uuid.UUID | None] = mapped_column()
    rules: Mapped[list] = mapped_column(JSONB, default=list)
    facts: Mapped[dict] = mapped_column(JSONB, default=dict)
    policy_versions: Mapped[dict] = mapped_column(JSONB, default=dict)
    reasons: Mapped[list] = mapped_column(JSONB, default=list)
    # what the replay needs to evaluate the same rule again (the request as decided)
    params: Mapped[dict] = mapped_column(JSONB, default=dict)
    decided_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()
