"""The roster reads who is eligible from the person timelines: exactly what the rules answer when
evaluated directly on the stored history (app.policy.timeline.facts_on), on every date asked."""

from __future__ import annotations

import uuid
from datetime import date

from app.insurance.evaluation import CODE_OF_KIND, eligible_on
from app.policy.entitlements import evaluate
from app.policy.insurance import BASIC_MEDICAL
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


async def test_roster_eligibility_read_from_timelines_is_what_the_rules_answer(client, admin,
                                                                                session):
    ids = await _households(client, admin)
    code = CODE_OF_KIND[BASIC_MEDICAL]
    for on in (date(2016, 6, 1), date(2017, 7, 1), date(2018, 6, 1), date(2018, 12, 1),
               date(2019, 1, 1), date(2019, 7, 2)):
        got = await eligible_on(session, on, "3212", BASIC_MEDICAL)
        want = {}
        for h in await session.run_sync(store.load_histories, ids):
            for e in evaluate(facts_on(h, on), on, codes=frozenset({code})):
                if e.eligible:
                    want[e.person_id] = (h.household.id, e.basis, [r.as_dict() for r in e.reasons])
        assert {k: (c.household_id, c.basis, c.reasons) for k, c in got.items()} == want, on
    # registered and retained persons on 2019-01-01; the household exited 2016-12-01 is gone
    on_2019 = await eligible_on(session, date(2019, 1, 1), "3212", BASIC_MEDICAL)
    assert {c.household_id for c in on_2019.values()} == set(ids[:2])
    assert await eligible_on(session, date(2019, 1, 1), "321202", BASIC_MEDICAL) == {}
