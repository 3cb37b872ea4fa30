"""Administrative divisions (12-digit statistical codes) and key areas (R3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at

LEVELS = ("city", "district", "town", "village")


class Region(Base):
    __tablename__ = "region"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{12}$'", name="code_12_digits"),
        CheckConstraint("level IN ('city','district','town','village')", name="level_known"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    created_at: Mapped[datetime] = created_at()


class Area(Base):
    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at()


class AreaTown(Base):
    __tablename__ = "area_town"

    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"), primary_key=True)
    town_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)
