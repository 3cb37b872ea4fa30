"""Database-level guarantees and the seams other modules use: concurrent registrations, the
retention length kept on the exit event, the dibao coverage hook."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from app.timelines import store as timeline_store
from tests.conftest import assert_problem
from tests.dibao.helpers import approved_case, set_standard
from tests.households.factories import (
    add_assessment,
    assessment,
    exit_household,
    household_body,
    make_village,
    member,
    register_household,
    valid_id,
)

V = "321283100201"


async def test_concurrent_registrations_of_one_number_leave_exactly_one(client, admin, db):
    await make_village(client, admin, V)
    number = valid_id("19750101", seq=301)
    bodies = [household_body(V, members=[member("02", id_number=number)]) for _ in range(2)]
    answers = await asyncio.gather(*[client.post("/api/v1/households", headers=admin, json=b)
                                     for b in bodies])
    assert sorted(r.status_code for r in answers) == [201, 409]
    assert_problem(next(r for r in answers if r.status_code == 409), 409, "member.id_number_taken")
    async with db.sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*) FROM household"))).scalar_one() == 1


async def test_retention_length_is_the_one_stored_on_the_exit_event(client, admin, db):
    hh = await register_household(client, admin, V)
    await exit_household(client, admin, hh, "2017-06-30")
    async with db.sessionmaker() as s:
        months = (await s.execute(text(
            "SELECT retention_months FROM household_event WHERE kind='exit'"))).scalar_one()
        assert months == 24
        # As if the exit had been decided under a 12-month rule: that length governs it.
        await s.execute(text("UPDATE household_event SET retention_months=12 WHERE kind='exit'"))
        # Written around the services: the timelines are rebuilt, as after any data repair.
        await s.run_sync(timeline_store.rebuild)
        await s.commit()
    r = await client.get(f"/api/v1/households/{hh['id']}/entitlements?as_of=2018-07-01",
                         headers=admin)
    assert r.json()["retention"] == {"exit_date": "2017-06-30", "retention_end": "2018-06-30"}


async def test_dibao_coverage_feeds_r5_and_e2(client, admin):
    await set_standard(client, admin)
    hh = await register_household(client, admin, V, members=[
        member("02", birth="19400101", labour_capacity="none")],
        assessment_=assessment(2015, wage="3000.00", business="0.00", transfer="0.00"))
    head = hh["members"][0]["id"]
    case = await approved_case(client, admin, hh["id"])  # grant from 2016-05
    r = await client.get(f"/api/v1/households/{hh['id']}/entitlements?as_of=2016-06-01",
                         headers=admin)
    e2 = next(i for i in r.json()["items"] if i["code"] == "medical_premium_full")
    assert (e2["eligible"], e2["basis"]) == (True, "direct")
    assert f"dibao grant 2016-05 onward (case {case['id']})" in e2["reasons"][-1]["detail"]
    await add_assessment(client, admin, hh["id"], 2016, "9000.00", assessed_on="2017-06-01")
    r = await client.post(f"/api/v1/households/{hh['id']}/exit", headers=admin, json={
        "exit_date": "2017-06-30", "signed_by_member_id": head, "signed_on": "2017-06-25"})
    assert r.status_code == 201, r.text
    assert any("relief-type target met" in x["detail"] for x in r.json()["payload"]["reasons"])


async def test_unknown_household_is_404(client, admin):
    r = await client.get(f"/api/v1/households/{uuid.uuid4()}", headers=admin)
    assert_problem(r, 404, "household.not_found")
