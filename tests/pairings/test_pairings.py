"""Pairings P1–P4 (八, 十七, 十八): refusals with their rule, boundaries of periods, If-Match."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import make_village, member, register_household, valid_id
from tests.pairings.factories import end, events_of, make_person, make_unit, make_weak_village, pair

V = "321283100201"
V2 = "321283100202"
CADRE = "household_cadre"
FS = "first_secretary"


async def household(client, admin, village=V, **kw):
    return await register_household(client, admin, village, **kw)


# --- P3 and the shape -----------------------------------------------------------------------


async def test_p3_end_before_start_is_refused(client, admin):
    hh = await household(client, admin)
    cadre = await make_person(client, admin)
    r = await pair(client, admin, cadre["id"], CADRE, "2017-03-01", "2017-02-28",
                   household_id=hh["id"])
    body = assert_problem(r, 422, "pairing.period.end_before_start")
    assert body["detail"].startswith("P3")


async def test_p3_a_one_day_pairing_is_allowed(client, admin):
    hh = await household(client, admin)
    cadre = await make_person(client, admin)
    r = await pair(client, admin, cadre["id"], CADRE, "2017-03-01", "2017-03-01",
                   household_id=hh["id"])
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"'


async def test_a_unit_cannot_be_a_households_responsible_cadre(client, admin):
    hh = await household(client, admin)
    unit = await make_unit(client, admin)
    r = await pair(client, admin, unit["id"], CADRE, "2017-01-01", household_id=hh["id"])
    assert_problem(r, 422, "pairing.helper_kind.not_allowed")


async def test_pairing_targets_must_fit_the_kind(client, admin):
    await make_village(client, admin, V)
    cadre = await make_person(client, admin)
    unit = await make_unit(client, admin)
    assert_problem(await pair(client, admin, cadre["id"], CADRE, "2017-01-01"), 422,
                   "pairing.target.household_required")
    assert_problem(await pair(client, admin, unit["id"], "village_unit", "2017-01-01",
                              region_code="321283100000"), 422, "pairing.target.region_level")
    r = await pair(client, admin, unit["id"], "town_unit", "2017-01-01", region_code="321283100000")
    assert r.status_code == 201, r.text
    assert (r.json()["scope_code"], r.json()["household_id"]) == ("321283100000", None)


async def test_pairing_with_an_unknown_household_helper_or_village_is_not_found(client, admin):
    await make_village(client, admin, V)
    cadre = await make_person(client, admin)
    unit = await make_unit(client, admin)
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(await pair(client, admin, cadre["id"], CADRE, "2017-01-01",
                              household_id=missing), 404, "household.not_found")
    assert_problem(await pair(client, admin, missing, CADRE, "2017-01-01",
                              household_id=missing), 404, "helper.not_found")
    assert_problem(await pair(client, admin, unit["id"], "village_unit", "2017-01-01",
                              region_code="321283100299"), 404, "village.not_found")


# --- P1 one responsible cadre at a time -----------------------------------------------------


async def test_p1_second_overlapping_cadre_is_refused(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    assert (await pair(client, admin, a["id"], CADRE, "2016-04-01", "2017-12-31",
                       household_id=hh["id"])).status_code == 201
    r = await pair(client, admin, b["id"], CADRE, "2017-06-01", household_id=hh["id"])
    body = assert_problem(r, 409, "pairing.household_cadre.overlap")
    assert body["detail"].startswith("P1") and "2016-04-01 to 2017-12-31" in body["detail"]


async def test_p1_a_pairing_ending_the_day_before_another_starts_is_allowed(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    await pair(client, admin, a["id"], CADRE, "2016-04-01", "2017-12-31", household_id=hh["id"])
    r = await pair(client, admin, b["id"], CADRE, "2018-01-01", household_id=hh["id"])
    assert r.status_code == 201, r.text


async def test_p1_ending_on_the_day_another_starts_is_an_overlap(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    await pair(client, admin, a["id"], CADRE, "2016-04-01", "2017-12-31", household_id=hh["id"])
    r = await pair(client, admin, b["id"], CADRE, "2017-12-31", household_id=hh["id"])
    assert_problem(r, 409, "pairing.household_cadre.overlap")


async def test_p1_an_open_ended_pairing_overlaps_everything_after_its_start(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])
    assert_problem(await pair(client, admin, b["id"], CADRE, "2030-01-01", household_id=hh["id"]),
                   409, "pairing.household_cadre.overlap")
    # before it is fine, up to the day before it starts
    r = await pair(client, admin, b["id"], CADRE, "2016-01-01", "2016-03-31", household_id=hh["id"])
    assert r.status_code == 201, r.text
    # and a new open-ended one starting before a closed one overlaps it
    other = await household(client, admin, V2)
    await pair(client, admin, a["id"], CADRE, "2018-01-01", "2018-12-31", household_id=other["id"])
    assert_problem(await pair(client, admin, b["id"], CADRE, "2017-01-01",
                              household_id=other["id"]), 409, "pairing.household_cadre.overlap")


async def test_p1_one_cadre_may_help_several_households(client, admin):
    a = await make_person(client, admin)
    for village in (V, V2):
        hh = await household(client, admin, village)
        r = await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])
        assert r.status_code == 201


# --- P4 not one's own household -------------------------------------------------------------


async def test_p4_cadre_cannot_be_responsible_for_their_own_household(client, admin, db):
    number = valid_id("19700101", seq=21)
    hh = await household(client, admin, members=[member("02", id_number=number),
                                                 member("10", birth="19710101")])
    cadre = await make_person(client, admin, id_number=number)
    r = await pair(client, admin, cadre["id"], CADRE, "2016-04-01", household_id=hh["id"])
    body = assert_problem(r, 422, "pairing.household_cadre.own_household")
    assert body["detail"].startswith("P4")
    assert await events_of(db, "pairing.created") == []


async def test_p4_a_cadre_with_another_number_is_allowed(client, admin):
    hh = await household(client, admin)
    cadre = await make_person(client, admin, id_number=valid_id("19700101", seq=23))
    r = await pair(client, admin, cadre["id"], CADRE, "2016-04-01", household_id=hh["id"])
    assert r.status_code == 201
    assert [x["rule"] for x in r.json()["reasons"]] == ["P3", "§7", "P4", "P1"]


# --- P2 first secretaries -------------------------------------------------------------------


async def test_p2_first_secretary_for_a_weak_village(client, admin):
    await make_weak_village(client, admin, V)
    fs = await make_person(client, admin)
    r = await pair(client, admin, fs["id"], FS, "2017-03-01", region_code=V)
    assert r.status_code == 201, r.text
    assert r.json()["scope_code"] == V
    assert any("R2" == x["rule"] for x in r.json()["reasons"])


async def test_p2_village_not_weak_in_its_latest_year_is_refused(client, admin):
    await make_weak_village(client, admin, V, years=(2016,))
    await client.put(f"/api/v1/villages/{V}/incomes/2017", headers=admin,
                     json={"collective_income": "350000.01"})
    fs = await make_person(client, admin)
    body = assert_problem(await pair(client, admin, fs["id"], FS, "2018-03-01", region_code=V),
                          422, "pairing.first_secretary.village_not_weak")
    assert body["detail"].startswith("P2")
    # a pairing starting in 2016 is judged on 2016, when the village was weak
    assert (await pair(client, admin, fs["id"], FS, "2016-06-01", "2016-12-31",
                       region_code=V)).status_code == 201


async def test_p2_village_without_any_income_is_not_known_as_weak(client, admin):
    await make_village(client, admin, V)
    fs = await make_person(client, admin)
    assert_problem(await pair(client, admin, fs["id"], FS, "2017-03-01", region_code=V), 422,
                   "pairing.first_secretary.village_not_weak")


async def test_p2_two_overlapping_first_secretaries_are_refused(client, admin):
    await make_weak_village(client, admin, V)
    a, b = await make_person(client, admin), await make_person(client, admin)
    await pair(client, admin, a["id"], FS, "2017-01-01", "2018-12-31", region_code=V)
    assert_problem(await pair(client, admin, b["id"], FS, "2018-12-31", region_code=V), 409,
                   "pairing.first_secretary.overlap")
    assert (await pair(client, admin, b["id"], FS, "2019-01-01", region_code=V)).status_code == 201


async def test_p2_a_unit_cannot_be_first_secretary(client, admin):
    await make_weak_village(client, admin, V)
    unit = await make_unit(client, admin)
    assert_problem(await pair(client, admin, unit["id"], FS, "2017-01-01", region_code=V), 422,
                   "pairing.helper_kind.not_allowed")


# --- ending a pairing -----------------------------------------------------------------------


async def test_ending_a_pairing_needs_if_match(client, admin, db):
    hh = await household(client, admin)
    a = await make_person(client, admin)
    p = (await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])).json()
    r = await client.patch(f"/api/v1/pairings/{p['id']}", headers=admin,
                           json={"end_date": "2017-01-01"})
    assert_problem(r, 428, "precondition.if_match_required")
    assert_problem(await end(client, admin, p, "2017-01-01", etag='"7"'), 412,
                   "precondition.stale")
    r = await end(client, admin, p, "2017-01-01")
    assert r.status_code == 200, r.text
    assert (r.json()["end_date"], r.json()["version"], r.headers["ETag"]) == ("2017-01-01", 2, '"2"')
    # the old ETag is stale now
    assert_problem(await end(client, admin, p, "2017-02-01"), 412, "precondition.stale")
    got = await client.get(f"/api/v1/pairings/{p['id']}", headers={**admin, "If-None-Match": '"2"'})
    assert got.status_code == 304
    ended = await events_of(db, "pairing.ended")
    assert [e["payload"]["end_date"] for e in ended] == ["2017-01-01"]
    assert ended[0]["region_code"] == V
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "pairing.end"})).json()["items"]
    assert (audit[0]["before"]["end_date"], audit[0]["after"]["end_date"]) == (None, "2017-01-01")


async def test_ending_before_the_start_is_refused_p3(client, admin):
    hh = await household(client, admin)
    a = await make_person(client, admin)
    p = (await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])).json()
    assert_problem(await end(client, admin, p, "2016-03-31"), 422,
                   "pairing.period.end_before_start")


async def test_ending_frees_the_household_for_the_next_cadre_from_the_next_day(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    p = (await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])).json()
    assert (await end(client, admin, p, "2018-06-30")).status_code == 200
    assert_problem(await pair(client, admin, b["id"], CADRE, "2018-06-30", household_id=hh["id"]),
                   409, "pairing.household_cadre.overlap")
    second = await pair(client, admin, b["id"], CADRE, "2018-07-01", household_id=hh["id"])
    assert second.status_code == 201
    # moving the first end later again would overlap the second: P1 on change too
    assert_problem(await end(client, admin, {**p, "version": 2}, "2018-07-01"), 409,
                   "pairing.household_cadre.overlap")


# --- scoping and lists ----------------------------------------------------------------------


async def test_pairings_outside_the_callers_region_are_not_found(client, admin, make_user):
    hh = await household(client, admin)
    a = await make_person(client, admin)
    p = (await pair(client, admin, a["id"], CADRE, "2016-04-01", household_id=hh["id"])).json()
    xinghua = await make_user("district_officer", "321281000000")
    assert_problem(await client.get(f"/api/v1/pairings/{p['id']}", headers=xinghua), 404,
                   "pairing.not_found")
    assert_problem(await end(client, xinghua, p, "2017-01-01"), 404, "pairing.not_found")
    assert (await client.get("/api/v1/pairings", headers=xinghua)).json()["items"] == []
    # nor can they pair their own helper with a household outside their region
    theirs = await make_person(client, xinghua)
    assert_problem(await pair(client, xinghua, theirs["id"], CADRE, "2016-04-01",
                              household_id=hh["id"]), 404, "household.not_found")


async def test_list_pairings_active_on_a_date(client, admin):
    hh = await household(client, admin)
    a, b = await make_person(client, admin), await make_person(client, admin)
    await pair(client, admin, a["id"], CADRE, "2016-04-01", "2017-12-31", household_id=hh["id"])
    await pair(client, admin, b["id"], CADRE, "2018-01-01", household_id=hh["id"])
    for day, helper in (("2017-12-31", a), ("2018-01-01", b)):
        items = (await client.get("/api/v1/pairings", headers=admin, params={
            "household_id": hh["id"], "active_on": day})).json()["items"]
        assert [i["helper_id"] for i in items] == [helper["id"]]
