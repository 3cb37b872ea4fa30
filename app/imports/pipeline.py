"""Running one import job: read the stored file as a stream, validate every row with the kind
(the API's schemas and policy functions), COPY the valid rows into temporary staging tables in
batches, run the set-based checks, and merge — all in ONE transaction, so that a crash leaves
nothing behind, and a file is all or nothing unless `on_error` is `skip`.

Progress (rows read, valid, rejected) is written by a second connection after each batch, so
that `GET /imports/{id}` shows it while the transaction is still open."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import delete, text, update
from sqlalchemy.util import await_only

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.config import Settings
from app.db import Database
from app.events.service import emit
from app.imports.headers import map_headers
from app.imports.kinds import kind_class
from app.imports.kinds.base import Context, Kind, RowError
from app.imports.reader import FileError, iter_rows
from app.imports.storage import open_stored, stored_path
from app.kit.dates import today
from app.models.imports import ImportJob, ImportRowError
from app.timelines import store as timeline_store

log = structlog.get_logger("xiaokang.imports")
BATCH = 5000
PROGRESS_EVERY = 1.0  # seconds between progress writes
ERROR_COLUMNS = ("job_id", "line", "field", "code", "message", "value")


def principal_of(job: ImportJob) -> Principal:
    p = job.principal
    return Principal(kind=p["kind"], id=uuid.UUID(p["id"]), name=p.get("name", ""),
                     role=p.get("role"), scopes=frozenset(p.get("scopes", [])),
                     region_code=p["region_code"],
                     helper_id=uuid.UUID(p["helper_id"]) if p.get("helper_id") else None)


class _Abort(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


async def _progress(db: Database, job_id: uuid.UUID, **values) -> None:
    async with db.sessionmaker() as s:
        await s.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
        await s.commit()


class _Stager:
    """COPYs each batch while the next one is validated: PostgreSQL works on one core while
    Python validates on the other (one COPY at a time on the connection)."""

    def __init__(self, ctx: Context, kind: Kind) -> None:
        self.ctx, self.kind = ctx, kind
        self.running: asyncio.Task | None = None

    async def flush(self) -> None:
        batch = [(t.name, t.names, self.kind.buffers[t.name]) for t in self.kind.tables
                 if self.kind.buffers[t.name]]
        if self.kind.errors:
            batch.append(("import_error", list(ERROR_COLUMNS),
                          [e.record(self.ctx.job_id) for e in self.kind.errors]))
        for t in self.kind.tables:
            self.kind.buffers[t.name] = []
        self.kind.errors = []
        await self.wait()
        if batch:
            self.running = asyncio.create_task(self._copy(batch))

    async def _copy(self, batch) -> None:
        for table, columns, rows in batch:
            await self.ctx.conn.copy_records_to_table(table, records=rows, columns=columns)

    async def wait(self) -> None:
        if self.running is not None:
            task, self.running = self.running, None
            await task


async def run_job(db: Database, settings: Settings, job_id: uuid.UUID) -> str:
    """Run a queued job to its end; answers its final state. Safe to run again after a crash:
    the previous attempt's transaction never committed, so it starts from nothing."""
    async with db.sessionmaker() as s:
        job = await s.get(ImportJob, job_id)
        if job is None or job.state in ("succeeded", "failed"):
            return job.state if job else "missing"
        principal = principal_of(job)
    await _progress(db, job_id, state="running", started_at=datetime.now(UTC),
                    attempts=ImportJob.attempts + 1, rows_read=0, rows_valid=0, rows_rejected=0)
    started = time.perf_counter()
    async with db.sessionmaker() as session:
        try:
            # A retried attempt starts from nothing: its earlier report goes (never committed
            # unless the attempt ended, in which case the state check above returned). This
            # first statement through the session also opens the transaction that the raw
            # asyncpg connection below (COPY) then works in.
            await session.execute(delete(ImportRowError).where(ImportRowError.job_id == job.id))
            await _outside_key_rotation(session, settings)
            raw = await (await session.connection()).get_raw_connection()
            ctx = Context(session=session, conn=raw.driver_connection, settings=settings,
                          principal=principal, job_id=job.id, today=today(), dry_run=job.dry_run)
            final = await _run(db, ctx, job, stored_path(settings, job.file_hash))
            await session.commit()
        except _Abort as e:
            await session.rollback()
            final = {"state": "failed", "error_code": e.code, "error_detail": e.detail}
            await _finish_failed(db, job, principal, final)
        except Exception as e:
            # Nothing was written (one transaction); the job says so instead of staying "running".
            await session.rollback()
            log.error("import_crashed", job_id=str(job.id), exc_info=e)
            final = {"state": "failed", "error_code": "import.internal",
                     "error_detail": f"the import stopped on an unexpected {type(e).__name__}; "
                                     "nothing was imported"}
            await _finish_failed(db, job, principal, final)
        log.info("import_finished", job_id=str(job.id), kind=job.kind, state=final["state"],
                 seconds=round(time.perf_counter() - started, 2))
    return final["state"]


async def _outside_key_rotation(session, settings: Settings) -> None:
    """An import hashes its rows once and matches them with the stored ones, so it runs outside
    a key rotation: it waits for a running one (app/keyrotation.py holds the lock), and refuses
    to run after an interrupted one until it is resumed."""
    from app.keyrotation import IMPORT_LOCK

    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": IMPORT_LOCK})
    if (await pii.ring(session, settings)).rotating:
        raise _Abort("import.keys_rotating",
                     "a key rotation is unfinished: resume it (`xiaokang rotate-keys --resume`), "
                     "then import again; nothing was imported")


async def _finish_failed(db: Database, job: ImportJob, principal: Principal, final: dict) -> None:
    async with db.sessionmaker() as s:
        await s.execute(update(ImportJob).where(ImportJob.id == job.id).values(
            **final, finished_at=datetime.now(UTC)))
        await record(s, principal, "import.failed", "import_job", job.id,
                     after={"kind": job.kind, "code": final["error_code"],
                            "detail": final["error_detail"]}, region_code=job.region_code)
        await s.commit()


async def _read(db: Database, ctx: Context, job: ImportJob, kind: Kind, path: Path) -> int:
    """Read the stored file into the kind's staging tables; answers the rows read."""
    stager = _Stager(ctx, kind)
    if not path.exists():
        raise _Abort("import.file.missing", "the stored file of this job is gone")
    try:
        source = open_stored(ctx.settings, path)
    except FileError as e:
        raise _Abort(e.code, e.detail) from None
    try:
        read = await _stage_rows(db, job, kind, stager, source)
    except FileError as e:
        await stager.wait()
        raise _Abort(e.code, e.detail) from None
    except BaseException:
        await asyncio.gather(*[t for t in [stager.running] if t], return_exceptions=True)
        raise
    finally:
        source.close()
    if read == 0:
        raise _Abort("import.file.empty", "the file has no data rows")
    kind.close()
    await stager.flush()
    await stager.wait()
    return read


async def _run(db: Database, ctx: Context, job: ImportJob, path: Path) -> dict:
    kind = kind_class(job.kind)(ctx)
    for t in kind.tables:
        await ctx.conn.execute(t.ddl())
    await kind.prepare()
    began = time.perf_counter()
    read = await _read(db, ctx, job, kind, path)
    await _progress(db, job.id, rows_read=read, rows_rejected=kind.rejected,
                    rows_valid=read - kind.rejected)
    staged = time.perf_counter()
    await kind.check()
    checked = time.perf_counter()
    rejected = await ctx.conn.fetchval(
        "SELECT count(DISTINCT line) FROM import_error WHERE job_id = $1", job.id)
    counts = {"rows_read": read, "rows_valid": read - rejected, "rows_rejected": rejected}
    written: dict[str, int] = {}
    timelines_took = 0.0
    if rejected and job.on_error == "abort":
        state, code = "failed", "import.rows_rejected"
        detail = f"{rejected} of {read} rows rejected: nothing imported (all or nothing)"
    else:
        state, code, detail = "succeeded", None, None
        if not job.dry_run:
            written = await kind.merge()
            began_timelines = time.perf_counter()
            await _timelines(ctx, kind)
            timelines_took = time.perf_counter() - began_timelines
    log.info("import_phases", job_id=str(job.id), staged=round(staged - began, 2),
             checked=round(checked - staged, 2), merged=round(time.perf_counter() - checked, 2),
             timelines=round(timelines_took, 2))
    return await _conclude(ctx, job, state, code, detail, counts, written)


async def _stage_rows(db: Database, job: ImportJob, kind: Kind, stager: _Stager, source) -> int:
    """Read the file row by row into the kind, staging a batch at a time; the rows read."""
    read = 0
    mapping_for: dict[tuple[str, ...], dict[str, str]] = {}
    last = time.monotonic()
    for line, row in iter_rows(source, job.file_format, job.encoding):
        read += 1
        if isinstance(row, str):
            kind.reject([RowError(line, None, "import.row.unreadable", row)])
            continue
        keys = tuple(row)
        mapping = mapping_for.get(keys)
        if mapping is None:
            # A header row (CSV, XLSX) must name every required column; JSONL objects may
            # leave out empty fields, so a missing one is that row's error.
            mapping = _mapping(kind, keys, check=not mapping_for and job.file_format != "jsonl")
            if len(mapping_for) < 64:
                mapping_for[keys] = mapping
        # Cells stripped once here; the kinds read them as they come.
        kind.accept(line, {f: row[h].strip() for h, f in mapping.items()})
        if kind.pending() >= BATCH:
            await stager.flush()
        elif read % 256 == 0:
            # Let the COPY of the previous batch move on, and the worker's heartbeat go
            # out (a worker silent too long is taken for dead and its job run again).
            await asyncio.sleep(0)
            if time.monotonic() - last > PROGRESS_EVERY:
                last = time.monotonic()
                await _progress(db, job.id, rows_read=read, rows_rejected=kind.rejected,
                                rows_valid=read - kind.rejected)
    return read


async def _conclude(ctx: Context, job: ImportJob, state: str, code: str | None,
                    detail: str | None, counts: dict, written: dict[str, int]) -> dict:
    """The audit row, the event of a real import, and the job's final values."""
    summary = {"kind": job.kind, "file_name": job.file_name, "file_hash": job.file_hash,
               "dry_run": job.dry_run, "on_error": job.on_error, **counts, "written": written,
               "state": state}
    await record(ctx.session, ctx.principal, "import.completed" if state == "succeeded"
                 else "import.failed", "import_job", job.id, after=summary,
                 region_code=job.region_code)
    if state == "succeeded" and not job.dry_run:
        await emit(ctx.session, "import.completed", "import_job", job.id, job.region_code,
                   {"id": job.id, **summary})
    values = dict(state=state, error_code=code, error_detail=detail, written=written,
                  finished_at=datetime.now(UTC), **counts)
    await ctx.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(**values))
    return values


async def _timelines(ctx: Context, kind: Kind) -> None:
    """Timelines of the merged households, inside the import's one transaction: their ids read
    through a cursor a chunk at a time (memory flat in the file's size), the rules run in the
    builder processes (app.timelines.builders) while the next chunk is read."""
    if kind.merged_households is None:
        return
    cursor = await ctx.conn.cursor(kind.merged_households)

    def parts():
        while rows := await_only(cursor.fetch(timeline_store.CHUNK)):
            yield [r[0] for r in rows]

    await ctx.session.run_sync(lambda s: timeline_store.refresh_parts(
        s, parts(), ctx.settings.timeline_processes))
    await ctx.session.run_sync(timeline_store.analyze, True)


def _mapping(kind: Kind, headers: tuple[str, ...], check: bool) -> dict[str, str]:
    mapping, _ignored = map_headers(list(headers), kind.fields)
    missing = [f for f in kind.required if f not in mapping.values()]
    if missing and check:
        raise _Abort("import.file.missing_columns",
                     f"the {kind.name} file lacks the column(s) {', '.join(missing)} "
                     f"(headers read: {', '.join(headers)})")
    return mapping
