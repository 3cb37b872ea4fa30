"""Insurance subsidies (clause 十三, I1–I4): schemes per year and kind, their version history,
roster runs, roster entries (one per person and scheme) and the history of every entry's state.

Nothing is overwritten without a trace: a scheme change keeps the previous version in
`insurance_scheme_version`; an entry is never deleted (a pending row no longer eligible becomes
`withdrawn`), and every state change of an entry is a row of `insurance_entry_history`.
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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _created_at

KINDS = ("basic_medical", "major_illness_accident")
STATES = ("pending", "confirmed", "rejected", "withdrawn")
BASES = ("direct", "retained")
Percent = Numeric(5, 2)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_SHARES_ALL_OR_NONE = (
    "(share_city IS NULL AND share_district IS NULL AND share_town IS NULL) OR "
    "(share_city IS NOT NULL AND share_district IS NOT NULL AND share_town IS NOT NULL)"
)


class InsuranceScheme(Base):
    """(十三, I1, I4) one scheme per year and kind: premium, reference date, funding body and,
    for major illness and accident insurance, the city / 市(區) / town shares in percent."""

    __tablename__ = "insurance_scheme"
    __table_args__ = (
        UniqueConstraint("year", "kind"),
        CheckConstraint(_in("kind", KINDS), name="kind_known"),
        CheckConstraint("premium > 0", name="premium_positive"),
        CheckConstraint(_SHARES_ALL_OR_NONE, name="shares_all_or_none"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    premium: Mapped[Decimal]
    reference_date: Mapped[date] = mapped_column(Date)
    funding_body: Mapped[str] = mapped_column(String(100))
    share_city: Mapped[Decimal | None] = mapped_column(Percent)
    share_district: Mapped[Decimal | None] = mapped_column(Percent)
    share_town: Mapped[Decimal | None] = mapped_column(Percent)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class InsuranceSchemeVersion(Base):
    """Every version a scheme has had (the first included), as it was: history is never lost."""

    __tablename__ = "insurance_scheme_version"
    __table_args__ = (UniqueConstraint("scheme_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_scheme.id"))
    version: Mapped[int] = mapped_column(Integer)
    premium: Mapped[Decimal]
    reference_date: Mapped[date] = mapped_column(Date)
    funding_body: Mapped[str] = mapped_column(String(100))
    share_city: Mapped[Decimal | None] = mapped_column(Percent)
    share_district: Mapped[Decimal | None] = mapped_column(Percent)
    share_town: Mapped[Decimal | None] = mapped_column(Percent)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()


class InsuranceRosterRun(Base):
    """(十三, I2) one generation of a scheme's roster over a region, with what it changed."""

    __tablename__ = "insurance_roster_run"
    __table_args__ = (Index("ix_insurance_roster_run_scheme", "scheme_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_scheme.id"))
    scheme_version: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(12))
    reference_date: Mapped[date] = mapped_column(Date)
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    refreshed: Mapped[int] = mapped_column(Integer)
    generated_by: Mapped[str] = mapped_column(String(100))
    generated_at: Mapped[datetime] = _created_at()


class InsuranceRosterEntry(Base):
    """(十三, I2–I4) one person on one scheme's roster: amount (and shares), funding 市(區),
    basis, reasons and the state the health-insurance system answered. The ID number is the
    member's own encrypted value and keyed hash, copied so the exchange needs no join."""

    __tablename__ = "insurance_roster_entry"
    __table_args__ = (
        UniqueConstraint("scheme_id", "person_id"),
        CheckConstraint(_in("state", STATES), name="state_known"),
        CheckConstraint(_in("basis", BASES), name="basis_known"),
        Index("ix_insurance_roster_entry_scheme_hash", "scheme_id", "id_hash"),
        Index("ix_insurance_roster_entry_scheme_village", "scheme_id", "village_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("insurance_scheme.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household_member.id"))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"), index=True)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str] = mapped_column(String(100))
    village_code: Mapped[str] = mapped_column(String(12))
    district_code: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal]
    share_city: Mapped[Decimal | None]
    share_district: Mapped[Decimal | None]
    share_town: Mapped[Decimal | None]
    basis: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(10))
    state_reason: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _created_at()


class InsuranceEntryHistory(Base):
    """Every state an entry has been in, who put it there and why (generation or exchange)."""

    __tablename__ = "insurance_entry_history"
    __table_args__ = (Index("ix_insurance_entry_history_entry", "entry_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("insurance_roster_entry.id"))
    state: Mapped[str] = mapped_column(String(10))
    flagged: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # generation | confirmation
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = _created_at()
