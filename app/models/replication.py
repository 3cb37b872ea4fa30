"""Read-your-writes with a read replica: the WAL position of each caller's latest write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ReadFence(Base):
    """A caller (`user:…`, `client:…`) wrote at this WAL position: its reads go to the replica
    only once the replica has replayed past it. Unlogged: it lives on the primary only, and after
    a crash an empty table just sends the next reads to the replica (whose replay then is behind
    nothing the caller could have seen)."""

    __tablename__ = "read_fence"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    lsn: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
