"""A4 evidence: attachments of the step they prove (signed confirmations, publicity photos, visit
photos, scanned forms), content stored encrypted under its SHA-256."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, uuid_pk
from app.models.base import created_at as _created_at

OWNER_TYPES = ("proposal", "change_request", "exit", "visit")
CONTENT_TYPES = ("image/jpeg", "image/png", "application/pdf")


class Attachment(Base):
    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("owner_type IN ('proposal','change_request','exit','visit')",
                        name="owner_type_known"),
        CheckConstraint("content_type IN ('image/jpeg','image/png','application/pdf')",
                        name="content_type_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        Index("ix_attachment_owner", "owner_type", "owner_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID] = mapped_column()
    # a proposal's step the evidence proves (its seq), when the owner is a proposal
    step_seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    household_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()
