"""The state of the PII keys (app/pii.py, app/keyrotation.py): one row, shared by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, SmallInteger, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class PiiKeyState(Base):
    """Which key ids encrypt and hash (`aes_kid`, `hash_kid`); during a rotation
    (`phase = 'rotating'`) the ids it replaces, still read and looked up, and how far the
    re-encryption got in each table (`progress`, so a killed rotation resumes)."""

    __tablename__ = "pii_key_state"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint("phase IN ('idle', 'rotating')", name="phase_known"),
        CheckConstraint("phase = 'idle' OR (old_aes_kid IS NOT NULL AND old_hash_kid IS NOT NULL)",
                        name="rotation_has_old_keys"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    aes_kid: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    hash_kid: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    old_aes_kid: Mapped[int | None] = mapped_column(Integer)
    old_hash_kid: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(Text, server_default=text("'idle'"))
    progress: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
