"""A poverty line reaching many households is applied by one job of the worker for its region:
pending until then (in no answer, not even the rules' checks), then applied with every timeline
it changes in one transaction (ARCHITECTURE: policy data that changes many answers at once)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from app.imports.queue import POLICY_TASK, apply_policy_line, run_worker
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
    r = await client.post("/api/v1/policy/poverty-lines", headers=admin,
                          json={**LINE, "effective_from": "2018-01-01"})
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
