"""The job queue: procrastinate on the application's PostgreSQL (its schema is applied by the
imports migration). A job is deferred in the same transaction as its `import_job` row, so the two
exist together or not at all; the worker runs `app.imports.pipeline.run_job`. A poverty line
reaching many households is applied the same way (`defer_policy`, `apply_policy_line`).

`xiaokang worker` runs a worker; `xiaokang serve` (hence `make run`) starts one beside the API
and starts it again when it dies (app/imports/supervisor.py).

Every worker writes a heartbeat (`import_heartbeat_seconds`). A worker that died mid-job leaves
its queue entry in `doing`; every worker looks, at start and then every
`import_stalled_check_seconds`, for entries whose worker has been silent for
`import_stalled_seconds` (or is gone) and puts them back in the queue: the job starts again from
nothing (its transaction never committed). The same loop deletes stored files past their
retention (app/imports/storage.py)."""

from __future__ import annotations

import asyncio
import json
import uuid

import procrastinate
import structlog
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.metrics import JOB_DURATION, JOBS_FINISHED

log = structlog.get_logger("xiaokang.imports.queue")
QUEUE = "imports"
TASK = "xiaokang.import"
POLICY_TASK = "xiaokang.policy.apply"  # a pending poverty line: one job for its region


async def _defer(session: AsyncSession, task: str, lock: str, args: dict) -> int:
    """Queue a task in the caller's transaction (procrastinate's own defer function)."""
    return int(await session.scalar(text(
        "SELECT (procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, NULL, "
        "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))[1]"),
        {"queue": QUEUE, "task": task, "lock": lock, "args": json.dumps(args)}))


async def defer_policy(session: AsyncSession, line_id: int) -> int:
    """Queue the application of a pending poverty line (one job for its region), in the
    caller's transaction: the line and its job exist together or not at all."""
    return await _defer(session, POLICY_TASK, f"policy-line:{line_id}", {"line_id": line_id})


async def apply_policy_line(db: Database, line_id: int) -> str:
    """Apply a pending line in one transaction: the line and every answer it changes commit
    together (app.policy_lines.service.apply_line); answers its state before."""
    from app import timelines
    from app.policy_lines.service import apply_line

    timelines.install()  # the commit rewrites the timelines (whichever process runs this)
    async with db.sessionmaker() as session:
        before = await apply_line(session, line_id)
        await session.commit()
    return before


async def defer_import(session: AsyncSession, job_id: uuid.UUID) -> int:
    """Queue the job in the caller's transaction."""
    return await _defer(session, TASK, f"import:{job_id}", {"job_id": str(job_id)})


def conninfo(url: URL) -> str:
    """A libpq connection string for psycopg from the app's SQLAlchemy URL (socket or TCP)."""
    parts = {"host": url.host or url.query.get("host"), "port": url.port, "user": url.username,
             "password": url.password, "dbname": url.database}
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def make_app(settings: Settings, db: Database) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(db.url), min_size=1, max_size=4)
    app = procrastinate.App(connector=connector)

    @app.task(name=TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(max_attempts=3, wait=10))
    async def run_import(job_id: str) -> str:
        from app.imports.pipeline import run_job

        with JOB_DURATION.labels(TASK).time():
            try:
                state = await run_job(db, settings, uuid.UUID(job_id))
            except BaseException:
                JOBS_FINISHED.labels(TASK, "crashed").inc()
                raise
        JOBS_FINISHED.labels(TASK, state).inc()
        return state

    @app.task(name=POLICY_TASK, queue=QUEUE,
              retry=procrastinate.RetryStrategy(max_attempts=3, wait=10))
    async def apply_policy(line_id: int) -> str:
        with JOB_DURATION.labels(POLICY_TASK).time():
            try:
                before = await apply_policy_line(db, line_id)
            except BaseException:
                JOBS_FINISHED.labels(POLICY_TASK, "crashed").inc()
                raise
        JOBS_FINISHED.labels(POLICY_TASK, "succeeded").inc()
        return before

    return app


async def requeue_stalled(app: procrastinate.App, settings: Settings) -> list[int]:
    """Put back in the queue the running jobs of workers silent for `import_stalled_seconds`
    (or whose worker row is gone); answers their queue ids."""
    jobs = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=settings.import_stalled_seconds)
    requeued = []
    for job in jobs:
        log.warning("import_requeued", queue_job=job.id, worker=job.worker_id)
        await app.job_manager.retry_job(job)
        requeued.append(int(job.id))  # type: ignore[arg-type]
    return requeued


async def _housekeeping(app: procrastinate.App, settings: Settings, db: Database) -> None:
    """Beside the worker, until cancelled: stalled jobs back in the queue, and stored files past
    their retention deleted. A failed round is logged and the next one comes."""
    from app.imports.storage import sweep_stored_files

    next_sweep = 0.0
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(settings.import_stalled_check_seconds)
        try:
            await requeue_stalled(app, settings)
            if loop.time() >= next_sweep:
                await sweep_stored_files(db, settings)
                next_sweep = loop.time() + settings.import_sweep_seconds
        except Exception as e:
            log.error("import_housekeeping_failed", exc_info=e)


async def run_worker(settings: Settings, db: Database, *, wait: bool = True,
                     concurrency: int = 1, install_signal_handlers: bool = True) -> None:
    """Run a worker until stopped (`wait=False`: until the queue is empty)."""
    app = make_app(settings, db)
    async with app.open_async():
        await requeue_stalled(app, settings)
        keeper = asyncio.create_task(_housekeeping(app, settings, db)) if wait else None
        try:
            await app.run_worker_async(
                queues=[QUEUE], wait=wait, concurrency=concurrency,
                install_signal_handlers=install_signal_handlers, listen_notify=wait,
                update_heartbeat_interval=settings.import_heartbeat_seconds,
                stalled_worker_timeout=settings.import_stalled_seconds,
                fetch_job_polling_interval=min(5.0, settings.import_stalled_check_seconds))
        finally:
            if keeper is not None:
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
