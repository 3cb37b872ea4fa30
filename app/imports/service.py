"""Import jobs: accepting a file (stored by content hash, once per kind and region), queueing it,
and reading a job and its error report — always within the caller's region."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import get_scoped, region_filter
from app.config import Settings
from app.errors import Conflict, Unprocessable
from app.imports.queue import defer_import
from app.imports.reader import FileError
from app.imports.schemas import job_out
from app.imports.storage import store_upload
from app.kit.pagination import PageParams, paginate
from app.models.imports import ImportJob, ImportRowError

MAX_NAME = 255


def _principal_json(p: Principal) -> dict:
    return {"kind": p.kind, "id": str(p.id), "name": p.name, "role": p.role,
            "scopes": sorted(p.scopes), "region_code": p.region_code,
            "helper_id": str(p.helper_id) if p.helper_id else None}


async def _existing(session: AsyncSession, sha: str, kind: str, region: str) -> ImportJob | None:
    return await session.scalar(select(ImportJob).where(
        ImportJob.file_hash == sha, ImportJob.kind == kind, ImportJob.region_code == region,
        ImportJob.dry_run.is_(False), ImportJob.state != "failed"))


def already_imported(job: ImportJob) -> Conflict:
    return Conflict("import.already_imported",
                    f"This file (SHA-256 {job.file_hash[:12]}…) is already imported as a {job.kind} "
                    f"file in this region by job {job.id} ({job.state}); it is not imported twice.",
                    extra={"job_id": str(job.id), "job": job_out(job).model_dump(mode="json")})


async def create_import(session: AsyncSession, settings: Settings, principal: Principal, upload,
                        file_name: str, kind: str, dry_run: bool, on_error: str) -> ImportJob:
    """Store the upload, then queue a job for it (409 import.already_imported for a file whose
    real import is queued, running or succeeded in the caller's region)."""
    if not principal.region_code:
        raise Unprocessable("import.no_region", "The caller has no region to import into.")
    try:
        stored = await store_upload(settings, upload, file_name)
    except FileError as e:
        status = 413 if e.code == "import.file.too_large" else 422
        raise Unprocessable(e.code, e.detail, status=status) from None
    if stored.size == 0:
        raise Unprocessable("import.file.empty", "The file is empty.")
    if not dry_run:
        existing = await _existing(session, stored.sha256, kind, principal.region_code)
        if existing is not None:
            raise already_imported(existing)
    job = ImportJob(id=uuid.uuid4(), kind=kind, state="queued", dry_run=dry_run, on_error=on_error,
                    file_name=(file_name or "upload")[:MAX_NAME], file_hash=stored.sha256,
                    file_format=stored.format, encoding=stored.encoding, file_size=stored.size,
                    region_code=principal.region_code, principal=_principal_json(principal),
                    created_by=principal.actor, rows_read=0, rows_valid=0, rows_rejected=0,
                    written={}, attempts=0)
    try:
        async with session.begin_nested():
            session.add(job)
            await session.flush()
    except IntegrityError:
        # Another upload of the same file won the race (uq_import_job_file_once).
        existing = await _existing(session, stored.sha256, kind, principal.region_code)
        if existing is None:
            raise
        raise already_imported(existing) from None
    await defer_import(session, job.id)
    await record(session, principal, "import.create", "import_job", job.id,
                 after={"kind": kind, "file_name": job.file_name, "file_hash": job.file_hash,
                        "file_size": job.file_size, "dry_run": dry_run, "on_error": on_error},
                 region_code=job.region_code)
    await session.refresh(job)
    return job


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> ImportJob:
    """A job of the caller's region (404 import.not_found otherwise)."""
    return await get_scoped(session, principal, ImportJob, job_id, "import", populate_existing=True)


async def list_jobs(session: AsyncSession, principal: Principal, params: PageParams):
    stmt = select(ImportJob).where(region_filter(principal, ImportJob.region_code))
    return await paginate(session, stmt, [ImportJob.id], params)


async def list_errors(session: AsyncSession, principal: Principal, job_id: uuid.UUID,
                      params: PageParams):
    """The rejected rows of a job, in line order (keyset on line, id)."""
    await get_job(session, principal, job_id)
    stmt = select(ImportRowError).where(ImportRowError.job_id == job_id)
    return await paginate(session, stmt, [ImportRowError.line, ImportRowError.id], params)


async def stream_errors(session: AsyncSession, principal: Principal,
                        job_id: uuid.UUID) -> AsyncIterator[ImportRowError]:
    await get_job(session, principal, job_id)
    rows = await session.stream_scalars(
        select(ImportRowError).where(ImportRowError.job_id == job_id)
        .order_by(ImportRowError.line, ImportRowError.id).execution_options(yield_per=2000))
    async for row in rows:
        yield row
