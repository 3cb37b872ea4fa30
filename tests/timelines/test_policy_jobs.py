"""A poverty line reaching many households is applied by one job of the worker for its region:
pending until then (in no answer, not even the rules' checks), then applied with every timeline
it changes in one transaction (ARCHITECTURE: policy data that changes many answers at once)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from app.imports.queue import POLICY_TASK, apply_policy_line, run_worker
from app.policy_lines.service import hold_policy_lock
from app.timelines import store
from tests.conftest import assert_problem
from tests.households.factories import register_household

V = "321283100201"
DISTRICT = "321283000000"
LINE = {"region_code": DISTRICT, "effective_from": "2017-01-01", "amount": "7600.00"}
IN_FORCE = """SELECT DISTINCT line_amount FROM household_timeline
              WHERE household_id = ANY(CAST(:ids AS uuid[])) AND valid @> CAST(:on AS date)"""


def _queued(app, threshold: int) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"policy_inline_households": threshold})


async def _lines_in_force(db, ids: list[str], on: str) -> set:
    async with db.sessionmaker() as s:
        return set((await s.scalars(text(IN_FORCE), {"ids": ids,
                                                     "on": date.fromisoformat(on)})).all())


async def test_a_line_reaching_more_households_than_the_threshold_waits_for_its_job(
        app, client, admin, db, test_settings):
    ids = [(await register_household(client, admin, V))["id"] for _ in range(2)]
    _queued(app, 1)  # two households: more than the threshold
    r = await client.post("/api/v1/policy/poverty-lines", headers=admin, json=LINE)
    assert r.status_code == 201, r.text
    line = r.json()
    assert (line["state"], line["applied_at"]) == ("pending", None)
    async with db.sessionmaker() as s:
        jobs = (await s.execute(text(
            "SELECT task_name, args->>'line_id' FROM procrastinate_jobs "
            "WHERE status = 'todo'"))).all()
    assert jobs == [(POLICY_TASK, str(line["id"]))]
    # pending: in no answer yet, and no second version of the region meanwhile
    assert await _lines_in_force(db, ids, "2017-06-01") == {Decimal("7000.00")}
    for other in ({**LINE, "effective_from": "2018-01-01"},  # the same region, or the city's
                  {**LINE, "region_code": "321200000000", "amount": "7700.00"}):
        r = await client.post("/api/v1/policy/poverty-lines", headers=admin, json=other)
        assert_problem(r, 409, "policy.line.pending")
    listed = (await client.get("/api/v1/policy/poverty-lines", headers=admin,
                               params={"region_code": DISTRICT})).json()["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(line["id"], "pending")]

    # the worker runs the queued job (then stops: the queue is empty)
    await asyncio.wait_for(run_worker(test_settings, db, wait=False,
                                      install_signal_handlers=False), timeout=60)
    async with db.sessionmaker() as s:
        assert (await s.scalar(text("SELECT status FROM procrastinate_jobs"))) == "succeeded"
    assert await _lines_in_force(db, ids, "2016-12-31") == {Decimal("7000.00")}
    assert await _lines_in_force(db, ids, "2017-01-01") == {Decimal("7600.00")}
    listed = (await client.get("/api/v1/policy/poverty-lines", headers=admin,
                               params={"region_code": DISTRICT})).json()["items"]
    assert listed[0]["state"] == "applied" and listed[0]["applied_at"] is not None
    assert await apply_policy_line(db, line["id"]) == "applied"  # run again: nothing to do
    async with db.sessionmaker() as s:
        assert await s.run_sync(store.differences) == []
        events = (await s.execute(text(
            "SELECT type, payload->>'state' FROM event WHERE type LIKE 'policy.poverty_line.%' "
            "ORDER BY position"))).all()
    assert events == [("policy.poverty_line.created", "pending"),
                      ("policy.poverty_line.applied", "applied")]


async def test_a_line_within_the_threshold_is_applied_by_the_request(app, client, admin, db):
    ids = [(await register_household(client, admin, V))["id"]]
    _queued(app, 1)
    r = await client.post("/api/v1/policy/poverty-lines", headers=admin, json=LINE)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "applied"
    assert await _lines_in_force(db, ids, "2017-01-01") == {Decimal("7600.00")}
    async with db.sessionmaker() as s:
        assert (await s.scalar(text("SELECT count(*) FROM procrastinate_jobs"))) == 0


async def test_a_pending_line_can_be_applied_from_the_command_line(app, client, admin, db,
                                                                   db_url):
    ids = [(await register_household(client, admin, V))["id"] for _ in range(2)]
    _queued(app, 1)
    r = await client.post("/api/v1/policy/poverty-lines", headers=admin, json=LINE)
    line_id = r.json()["id"]
    env = {**os.environ, "DATABASE_URL": db_url.render_as_string(hide_password=False)}
    done = subprocess.run([sys.executable, "-m", "app.cli", "apply-pending-lines"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"applied 1 pending line(s): {line_id}" in done.stdout
    assert await _lines_in_force(db, ids, "2017-01-01") == {Decimal("7600.00")}


async def test_no_timeline_is_written_while_a_line_is_being_applied(client, admin, db):
    """The job holds the policy lock exclusively: a registration meanwhile waits (and then
    builds its timeline with the line applied), instead of writing one the job misses."""
    await register_household(client, admin, V)  # the village and the first household
    async with db.sessionmaker() as job:
        await hold_policy_lock(job)
        writing = asyncio.create_task(register_household(client, admin, V))
        await asyncio.sleep(1.0)
        assert not writing.done()  # waiting for the lock, inside its own transaction
        await job.commit()
    hh = await asyncio.wait_for(writing, timeout=30)
    assert hh["id"]
