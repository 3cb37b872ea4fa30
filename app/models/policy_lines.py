"""R1 poverty lines: versioned, region-scoped policy data (clause 二).

Each row is one version: in force for `region_code` (the city or a 市(區)) from `effective_from`
until a later version. A second row with the same date is a correction: the higher id wins.
Only applied rows (`applied_at` set) are policy data; a pending one waits for its job.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Identity, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at


class PovertyLine(Base):
    __tablename__ = "poverty_line"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_poverty_line_region_from", "region_code", "effective_from"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()
    # When the line took effect on the answers (its timelines written): a line reaching many
    # households is applied by a job of the worker, and until then it is pending, in no answer.
    applied_at: Mapped[datetime | None]

    @property
    def state(self) -> str:
        return "applied" if self.applied_at is not None else "pending"


class RetentionRule(Base):
    """R7: the retention length after exit, in months, in force from `effective_from`.

    Policy data like the lines: an exit takes the length in force on its date and keeps it on
    its event, so a later change (Bolsa Família cut its 24 months to 12 for new cases only)
    never rewrites past exits."""

    __tablename__ = "retention_rule"
    __table_args__ = (CheckConstraint("months BETWEEN 0 AND 120", name="months_range"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    months: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()
