"""A worker killed mid-job is replaced, and its job runs again from nothing and finishes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import date, timedelta

from sqlalchemy import func, select, text

from app.imports.supervisor import WorkerSupervisor
from app.models.households import Household
from tests.imports.helpers import HEADER_EN, csv_bytes, make_village, upload, valid_id

HOUSEHOLDS = 3000


def _register(n: int) -> bytes:
    rows = []
    for i in range(n):
        born = (date(1950, 1, 1) + timedelta(days=i)).strftime("%Y%m%d")
        common = [f"K{i}", "321283100201", "3", "2016-03-01", "illness", "2015", "9000", "3000"]
        rows.append([*common, "Wang Jianguo", valid_id(born, 1), "02", "ordinary", "healthy"])
        rows.append([*common, "Li Xiuying", valid_id(born, 2), "10", "partial", "chronic"])
    return csv_bytes(HEADER_EN, rows)


async def _until(what, check, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return got
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes(
        client, admin, db, db_url, session, test_settings):
    await make_village(client, admin)
    r = await upload(client, admin, _register(HOUSEHOLDS))
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    env = {**os.environ, "DATABASE_URL": db_url.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(test_settings.data_dir),
           # Short thresholds, so that the test is quick: heartbeats every 0.5 s, a worker
           # silent for 3 s is dead, stalled jobs looked for every 0.5 s.
           "XIAOKANG_IMPORT_HEARTBEAT_SECONDS": "0.5", "XIAOKANG_IMPORT_STALLED_SECONDS": "3",
           "XIAOKANG_IMPORT_STALLED_CHECK_SECONDS": "0.5", "XIAOKANG_LOG_JSON": "true"}
    supervisor = WorkerSupervisor((sys.executable, "-m", "app.cli", "worker"),
                                  restart_seconds=0.2, env=env)

    async def state():
        async with db.sessionmaker() as s:
            return (await s.execute(text("SELECT state, attempts FROM import_job WHERE id = :j"),
                                    {"j": job_id})).one()

    supervisor.start()
    try:
        first = await _until("a worker process", lambda: supervisor.pid, 10)
        await _until("the job to run", lambda: _running(state), 60)
        os.kill(first, signal.SIGKILL)
        # Killed mid-job: nothing committed, the job still says running.
        assert (await state()).state == "running"
        second = await _until("a new worker process",
                              lambda: supervisor.pid not in (None, first) and supervisor.pid,
                              15)
        assert second != first and supervisor.restarts == 1
        done = await _until("the job to end", lambda: _ended(state), 120, every=0.25)
    finally:
        supervisor.stop(timeout=10)
    assert done.state == "succeeded", done
    assert done.attempts == 2  # the killed attempt, then one from nothing
    job = (await client.get(f"/api/v1/imports/{job_id}", headers=admin)).json()
    assert job["written"]["households"] == HOUSEHOLDS, job
    assert await session.scalar(select(func.count()).select_from(Household)) == HOUSEHOLDS


async def _running(state):
    row = await state()
    return row.state == "running"


async def _ended(state):
    row = await state()
    return row if row.state in ("succeeded", "failed") else None


def test_a_worker_that_exits_is_started_again_and_stop_ends_it():
    supervisor = WorkerSupervisor((sys.executable, "-c", "import time; time.sleep(0.3)"),
                                  restart_seconds=0.05, preexec_fn=None)
    supervisor.start()
    try:
        deadline = time.monotonic() + 10
        while supervisor.restarts < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.restarts >= 2
    finally:
        supervisor.stop(timeout=5)
    time.sleep(0.5)
    assert supervisor.pid is None
