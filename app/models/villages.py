"""Villages (clauses 二.2, 七): the R2 weak-village line, collective income per year and the V1
eight haves per year. A village itself is a `region` of level village.

History is never overwritten: a correction of a year's income or eight haves is a new row with
the next `version`; the highest version of a year is the one in force, the older ones stay.
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
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, uuid_pk


class WeakVillageLine(Base):
    """R2 weak-village line: in force for `region_code` (the city or a 市(區)) from
    `effective_from` until a later version; of two rows with the same date the higher id wins."""

    __tablename__ = "weak_village_line"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_weak_village_line_region_from", "region_code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()


class VillageIncome(Base):
    """A village's collective income for a calendar year (R2); corrections are new versions."""

    __tablename__ = "village_income"
    __table_args__ = (
        UniqueConstraint("village_code", "year", "version"),
        CheckConstraint("year BETWEEN 1990 AND 2100", name="year_range"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    collective_income: Mapped[Decimal]
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()


class VillageEightHaves(Base):
    """The new eight haves of a village for a year (V1): each item `{met, evidence}` in `items`,
    and whether all eight hold (`met_all`, as decided by the policy rule when recorded)."""

    __tablename__ = "village_eight_haves"
    __table_args__ = (
        UniqueConstraint("village_code", "year", "version"),
        CheckConstraint("year BETWEEN 1990 AND 2100", name="year_range"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    village_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    items: Mapped[dict] = mapped_column(JSONB)
    met_all: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()
