"""Helpers and pairing assignments (clauses 八, 十七, 十八): who helps whom, over which period.

A helper is a person (a cadre: unit, post, phone, ID number encrypted with its keyed hash) or a
unit (department, enterprise, other; enterprises carry a unified social credit code). A pairing
ties a helper to a household (`household_cadre`) or to a village or town region for
[start_date, end_date] (end open when null). `scope_code` is the region the pairing belongs to
(the household's village, or the target region) and drives region scoping and reports.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _timestamp

HELPER_KINDS = ("person", "unit")
UNIT_KINDS = ("department", "enterprise", "other")
PAIRING_KINDS = ("household_cadre", "village_unit", "town_unit", "first_secretary")


class Helper(Base):
    __tablename__ = "helper"
    __table_args__ = (
        CheckConstraint("kind IN ('person','unit')", name="kind_known"),
        CheckConstraint(
            "unit_kind IS NULL OR unit_kind IN ('department','enterprise','other')",
            name="unit_kind_known",
        ),
        CheckConstraint("kind = 'unit' OR (id_hash IS NOT NULL AND id_number_enc IS NOT NULL)",
                        name="person_has_id_number"),
        CheckConstraint("kind = 'person' OR unit_kind IS NOT NULL", name="unit_has_kind"),
        CheckConstraint("unit_kind IS DISTINCT FROM 'enterprise' OR uscc IS NOT NULL",
                        name="enterprise_has_uscc"),
        # One helper record per person (matched by ID number), one per enterprise code.
        Index("uq_helper_id_hash", "id_hash", unique=True,
              postgresql_where=text("id_hash IS NOT NULL")),
        Index("uq_helper_uscc", "uscc", unique=True, postgresql_where=text("uscc IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    # person
    unit: Mapped[str | None] = mapped_column(String(200))
    post: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # unit
    unit_kind: Mapped[str | None] = mapped_column(String(20))
    uscc: Mapped[str | None] = mapped_column(String(18))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _timestamp()


class Pairing(Base):
    __tablename__ = "pairing"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('household_cadre','village_unit','town_unit','first_secretary')",
            name="kind_known",
        ),
        # P3 (十七): end ≥ start; the service refuses first, this is the last line of defence.
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("(kind = 'household_cadre') = (household_id IS NOT NULL)",
                        name="household_iff_cadre"),
        CheckConstraint("(kind = 'household_cadre') = (region_code IS NULL)",
                        name="region_iff_not_cadre"),
        Index("ix_pairing_household_id", "household_id",
              postgresql_where=text("household_id IS NOT NULL")),
        Index("ix_pairing_scope_kind", "scope_code", "kind"),
        # The first secretary's sign-in looks up the active pairing of their helper.
        Index("ix_pairing_helper_kind_start", "helper_id", "kind", "start_date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    helper_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("helper.id"))
    kind: Mapped[str] = mapped_column(String(20))
    household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("household.id"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    scope_code: Mapped[str] = mapped_column(String(12))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _timestamp()
    updated_at: Mapped[datetime] = _timestamp()
