"""Stored timelines: written with the facts by every write path, read with `valid @> as_of`, and
checked and rebuilt by the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date

from sqlalchemy import text

from app.households.facts import load_record, status_of, support_type_on
from app.timelines import store
from tests.households.factories import exit_household, member, register_household

V = "321283100201"
DATES = ["2016-02-29", "2016-03-01", "2017-06-29", "2017-06-30", "2018-05-01", "2019-06-30",
         "2019-07-01"]


async def _list(client, admin, on: str, **filters) -> dict:
    r = await client.get("/api/v1/households", headers=admin,
                         params={"as_of": on, "limit": 100, **filters})
    assert r.status_code == 200, r.text
    return {i["id"]: (i["status"], i["support_type"]) for i in r.json()["items"]}


async def test_household_list_answers_what_the_facts_give_on_every_edge_date(client, admin,
                                                                             session):
    able = await register_household(client, admin, V)
    await exit_household(client, admin, able, "2017-06-30")
    relief = await register_household(client, admin, "321283100202", members=[
        member("02", birth="19400101", labour_capacity="lost"),
        member("10", birth="19420101", labour_capacity="none")])
    # a member whose attributes only start later: the first version counts until then
    r = await client.patch(
        f"/api/v1/households/{relief['id']}/members/{relief['members'][1]['id']}",
        headers={**admin, "If-Match": "*"},
        json={"effective_from": "2018-01-01", "labour_capacity": "partial"})
    assert r.status_code == 200, r.text
    for on in DATES:
        listed = await _list(client, admin, on)
        for hid in (able["id"], relief["id"]):
            rec = await load_record(session, uuid.UUID(hid))
            day = date.fromisoformat(on)
            assert listed[hid] == (status_of(rec, day), support_type_on(rec, day)[0]), (hid, on)
        exited = await _list(client, admin, on, status="exited")
        assert (able["id"] in exited) == (on >= "2017-06-30")
        development = await _list(client, admin, on, support_type="development")
        assert (relief["id"] in development) == (on >= "2018-01-01")


async def test_a_registration_writes_its_timeline_in_the_same_transaction(client, admin, db):
    hh = await register_household(client, admin, V)
    async with db.sessionmaker() as s:
        rows = (await s.execute(text(
            "SELECT status, lower(valid), upper(valid) FROM household_timeline "
            "WHERE household_id = :h ORDER BY lower(valid) NULLS FIRST"), {"h": hh["id"]})).all()
    assert rows[0][0] is None and rows[0][1] is None  # before registration: no status
    registered = [r for r in rows if r[0] == "registered"]
    assert registered[0][1] == date(2016, 3, 1)
    assert rows[-1][2] is None  # the last segment is open-ended


async def test_check_finds_a_stale_timeline_and_rebuild_repairs_it(client, admin, db, db_url,
                                                                  tmp_path):
    hh = await register_household(client, admin, V)
    async with db.sessionmaker() as s:
        await s.execute(text("UPDATE household_timeline SET status = 'removed' "
                             "WHERE household_id = :h AND status = 'registered'"), {"h": hh["id"]})
        await s.commit()
    env = {**os.environ, "DATABASE_URL": db_url.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(tmp_path)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env,
                              capture_output=True, text=True, timeout=180)

    found = cli("check-timelines")
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"household {hh['id']}" in found.stdout and "status stored 'removed'" in found.stdout
    done = cli("rebuild-timelines", "--region", "321283000000")
    assert done.returncode == 0 and "rebuilt for 1 households" in done.stdout, done.stdout
    again = cli("check-timelines")
    assert again.returncode == 0, again.stdout
    async with db.sessionmaker() as s:
        assert await s.run_sync(store.differences) == []
