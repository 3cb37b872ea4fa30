"""Answers of the import endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.kit.schemas import Out

ImportKind = Literal["households", "members", "assessments", "villages", "village_incomes",
                     "helpers", "pairings"]
OnError = Literal["abort", "skip"]


class ProgressOut(Out):
    rows_read: int
    rows_valid: int
    rows_rejected: int


class JobErrorOut(Out):
    code: str
    detail: str | None


class JobOut(Out):
    id: uuid.UUID
    state: Literal["queued", "running", "succeeded", "failed"]
    kind: ImportKind
    dry_run: bool
    on_error: OnError
    file_name: str
    file_hash: str = Field(description="SHA-256 of the file: the same content is imported once")
    file_format: Literal["csv", "xlsx", "jsonl"]
    encoding: str | None = Field(description="detected: utf-8, utf-8-sig (BOM) or gb18030")
    file_size: int
    region_code: str
    progress: ProgressOut
    written: dict[str, int] = Field(description="rows written per entity once succeeded")
    error: JobErrorOut | None = Field(description="why the job failed (nothing was written)")
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RowErrorOut(Out):
    line: int = Field(description="line of the file (CSV/JSONL; the CSV header is line 1) or "
                                  "row of the sheet (XLSX)")
    field: str | None
    code: str
    message: str
    value: str | None = Field(description="the value as read; ID numbers masked")


def job_out(job) -> JobOut:
    return JobOut(
        id=job.id, state=job.state, kind=job.kind, dry_run=job.dry_run, on_error=job.on_error,
        file_name=job.file_name, file_hash=job.file_hash, file_format=job.file_format,
        encoding=job.encoding, file_size=job.file_size, region_code=job.region_code,
        progress=ProgressOut(rows_read=job.rows_read, rows_valid=job.rows_valid,
                             rows_rejected=job.rows_rejected),
        written=job.written or {},
        error=JobErrorOut(code=job.error_code, detail=job.error_detail) if job.error_code else None,
        created_by=job.created_by, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at)
