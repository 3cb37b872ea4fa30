"""A2 change requests (maker-checker): a change to a household's facts proposed from the field,
applied only when someone else of the approving level accepts it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ARRAY, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _created_at


class ChangeRequest(Base):
    __tablename__ = "change_request"
    __table_args__ = (
        CheckConstraint("state IN ('open','accepted','rejected')", name="state_known"),
        Index("ix_change_request_household_id_state", "household_id", "state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("household.id"))
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    changes: Mapped[list] = mapped_column(JSONB)
    # the facts the changes touch ("/group", "/members/<id>/health", "/assessments/2016"): two
    # open requests of a household touching the same facts conflict
    touches: Mapped[list[str]] = mapped_column(ARRAY(Text))
    reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="open")
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_notes: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created_at()
