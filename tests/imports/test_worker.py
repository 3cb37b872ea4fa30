"""Jobs live in PostgreSQL: they survive the server and the worker going away."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from app.db import Database
from app.imports.queue import run_worker
from app.models.households import Household
from tests.imports.helpers import HEADER_EN, csv_bytes, household_rows, make_village, upload


async def _worker_once(db_url, settings) -> None:
    """A new worker process, as after a restart: its own engine, runs what is queued, stops."""
    fresh = Database(db_url, pool_size=2, max_overflow=0)
    try:
        await asyncio.wait_for(run_worker(settings, fresh, wait=False,
                                          install_signal_handlers=False), timeout=60)
    finally:
        await fresh.dispose()


async def test_a_queued_job_survives_a_restart_and_a_new_worker_completes_it(
        client, app, db, admin, session, test_settings):
    await make_village(client, admin)
    r = await upload(client, admin, csv_bytes(HEADER_EN, household_rows("H1", 10)))
    assert r.status_code == 202 and r.json()["state"] == "queued"
    job_id = r.json()["id"]
    # The worker that would have run it stops before it does; the server goes away too.
    first = asyncio.create_task(run_worker(test_settings, db, wait=True,
                                           install_signal_handlers=False))
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    assert (await client.get(f"/api/v1/imports/{job_id}", headers=admin)).json()["state"] == "queued"
    await db.dispose()

    await _worker_once(db.url, test_settings)
    job = (await client.get(f"/api/v1/imports/{job_id}", headers=admin)).json()
    assert job["state"] == "succeeded", job
    assert job["written"]["households"] == 1
    assert await session.scalar(select(func.count()).select_from(Household)) == 1


async def test_a_job_whose_worker_died_mid_run_starts_again_from_nothing(
        client, app, db, admin, session, test_settings):
    await make_village(client, admin)
    r = await upload(client, admin, csv_bytes(HEADER_EN, household_rows("H1", 10)))
    job_id = r.json()["id"]
    # A worker took the job and died: its heartbeat is an hour old, the job half-run.
    async with db.sessionmaker() as s:
        wid = await s.scalar(text("INSERT INTO procrastinate_workers (last_heartbeat) "
                                  "VALUES (now() - interval '1 hour') RETURNING id"))
        await s.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"),
                        {"w": wid})
        await s.execute(text("UPDATE import_job SET state = 'running', attempts = 1 WHERE id = :j"),
                        {"j": job_id})
        await s.commit()

    await _worker_once(db.url, test_settings)
    job = (await client.get(f"/api/v1/imports/{job_id}", headers=admin)).json()
    assert job["state"] == "succeeded", job
    assert await session.scalar(select(func.count()).select_from(Household)) == 1
