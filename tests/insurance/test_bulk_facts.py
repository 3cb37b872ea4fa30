"""The roster's set-based facts loader answers exactly what the timeline builder's facts on a date
answer (app.policy.timeline.facts_on over the stored history), on every date asked."""

from __future__ import annotations

import uuid
from datetime import date

from app.insurance.facts import candidate_households, facts_of_records, load_records
from app.policy.timeline import facts_on
from app.timelines import store
from tests.households.factories import exit_household, member, register_household

VILLAGE = "321283100201"


async def _households(client, admin) -> list[uuid.UUID]:
    tekun = dict(labour_capacity="lost", tekun_since="2016-03-01")
    registered = await register_household(client, admin, VILLAGE, members=[
        member("02", birth="19450101", name="甲", **tekun),
        member("10", birth="19700101", name="乙", disability={"category": 1, "grade": 2},
               health="disabled")])
    r = await client.post(f"/api/v1/households/{registered['id']}/members", headers=admin,
                          json={**member("20", birth="20000101", name="丙", in_school=True),
                                "joined_on": "2018-05-01"})
    assert r.status_code == 201, r.text
    left = registered["members"][1]["id"]
    r = await client.post(f"/api/v1/households/{registered['id']}/members/{left}/leave",
                          headers=admin, json={"left_on": "2018-09-01", "reason": "moved"})
    assert r.status_code == 200, r.text
    retained = await register_household(client, admin, VILLAGE, members=[
        member("02", birth="19500101", name="丁", **tekun), member("10", birth="19720101")])
    await exit_household(client, admin, retained, "2017-07-01")
    gone = await register_household(client, admin, VILLAGE, members=[
        member("02", birth="19510101", name="戊", **tekun), member("10", birth="19730101")])
    await exit_household(client, admin, gone, "2016-12-01")
    return [uuid.UUID(h["id"]) for h in (registered, retained, gone)]


async def test_bulk_facts_equal_the_registry_facts_on_every_date(client, admin, session):
    ids = await _households(client, admin)
    records = await load_records(session, ids)
    assert {r.household.id for r in records} == set(ids)
    for on in (date(2016, 6, 1), date(2017, 7, 1), date(2018, 6, 1), date(2018, 12, 1),
               date(2019, 1, 1), date(2019, 7, 2)):
        bulk = {item.facts.household_id: item.facts
                for item in await facts_of_records(session, records, on)}
        for h in await session.run_sync(store.load_histories, ids):
            assert bulk[h.household.id] == facts_on(h, on), (h.household.id, on)


async def test_candidates_are_registered_or_exited_within_retention(client, admin, session):
    registered, retained, gone = await _households(client, admin)
    found = set(await candidate_households(session, date(2019, 1, 1), "321283"))
    assert found == {registered, retained}
    assert set(await candidate_households(session, date(2019, 1, 1), "321202")) == set()
    assert set(await candidate_households(session, date(2016, 6, 1), "3212")) == {
        registered, retained, gone}
