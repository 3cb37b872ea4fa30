"""Bulk import jobs (issue 7): one row per uploaded file and kind, its progress, and every
rejected row with its line, field and error code. The uploaded file itself is kept in the data
directory under its SHA-256, so a queued job survives a restart of the server."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, created_at, uuid_pk

IMPORT_KINDS = ("households", "members", "assessments", "villages", "village_incomes", "helpers",
                "pairings")
IMPORT_STATES = ("queued", "running", "succeeded", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ImportJob(Base):
    """One import of one file. `state`: queued → running → succeeded | failed. A failed job wrote
    nothing but its error report (all or nothing, unless `on_error` is `skip`)."""

    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(_in("kind", IMPORT_KINDS), name="kind_known"),
        CheckConstraint(_in("state", IMPORT_STATES), name="state_known"),
        CheckConstraint("on_error IN ('abort','skip')", name="on_error_known"),
        CheckConstraint("file_format IN ('csv','xlsx','jsonl')", name="format_known"),
        # The same file (by content) is imported once per kind and region: a re-sent file answers
        # the job that holds it, unless that job failed (then nothing was written).
        Index("uq_import_job_file_once", "file_hash", "kind", "region_code", unique=True,
              postgresql_where=text("NOT dry_run AND state <> 'failed'")),
        Index("ix_import_job_region_created", "region_code", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    on_error: Mapped[str] = mapped_column(String(5), default="abort")
    file_name: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(5))
    encoding: Mapped[str | None] = mapped_column(String(20))
    file_size: Mapped[int] = mapped_column(BigInteger)
    # The caller's region: rows outside it are rejected, and the job is visible only inside it.
    region_code: Mapped[str] = mapped_column(String(12))
    # Who asked (kind, id, name, role, scopes, region): the worker acts as this principal.
    principal: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(100))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_valid: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # What was written, per entity (households, members, ...), once succeeded.
    written: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportRowError(Base):
    """A rejected row: its line in the file (the header is line 1), the field and a stable code
    (the same codes the API answers: id_number.check_digit, member.id_number_taken, ...)."""

    __tablename__ = "import_error"
    __table_args__ = (Index("ix_import_error_job_line", "job_id", "line", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    # The offending value as read (ID numbers masked).
    value: Mapped[str | None] = mapped_column(Text)
