"""A5 field records and point 14: own visits only, not in the future, place and device time;
measures ended and corrected with If-Match; household cadres see their households while paired."""

from __future__ import annotations

from datetime import date

import pytest

from app.kit import dates
from tests.conftest import assert_problem
from tests.households.factories import add_measure, register_household
from tests.pairings.factories import end, make_person, make_weak_village, pair

V = "321283100201"


@pytest.fixture
def on_day(monkeypatch):
    def set_day(day: str) -> None:
        monkeypatch.setattr(dates, "today", lambda: date.fromisoformat(day))
    return set_day


async def secretary(client, admin, make_user):
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    await pair(client, admin, helper["id"], "first_secretary", "2016-01-01", region_code=V)
    return helper, await make_user("first_secretary", "321283000000", helper_id=helper["id"])


async def test_a_first_secretary_records_their_own_visits_only(client, admin, make_user):
    helper, fs = await secretary(client, admin, make_user)
    other = await make_person(client, admin, name="李幹部")
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}/visits"
    r = await client.post(url, headers=fs, json={"date": "2019-03-01", "notes": "入戶走訪",
                                                 "latitude": 32.1712, "longitude": 120.0135,
                                                 "device_time": "2019-03-01T08:30:00+08:00"})
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["helper_id"] == helper["id"]  # defaults to their own helper
    assert (v["latitude"], v["longitude"]) == (32.1712, 120.0135)
    assert v["device_time"] == "2019-03-01T00:30:00Z"
    r = await client.post(url, headers=fs, json={"date": "2019-03-01", "notes": "代記",
                                                 "helper_id": other["id"]})
    assert_problem(r, 403, "household.visit.not_own")
    # an officer records a visit for any helper (from a paper record)
    r = await client.post(url, headers=admin, json={"date": "2019-03-01", "notes": "紙質記錄",
                                                    "helper_id": other["id"]})
    assert r.status_code == 201, r.text
    listed = (await client.get(url, headers=admin)).json()["items"]
    assert len(listed) == 2
    assert {(x["latitude"], x["longitude"]) for x in listed} == {(32.1712, 120.0135), (None, None)}


async def test_a_visit_today_is_accepted_and_tomorrow_refused(client, admin, on_day):
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}/visits"
    on_day("2019-03-01")
    assert (await client.post(url, headers=admin, json={"date": "2019-03-01",
                                                         "notes": "x"})).status_code == 201
    r = await client.post(url, headers=admin, json={"date": "2019-03-02", "notes": "x"})
    assert_problem(r, 422, "household.visit.date_in_future")
    r = await client.post(url, headers=admin, json={"date": "2019-03-01", "notes": "x",
                                                    "latitude": 32.1})
    assert_problem(r, 422, "household.visit.place_incomplete")
    r = await client.post(url, headers=admin, json={"date": "2019-03-01", "notes": "x",
                                                    "latitude": 91, "longitude": 120})
    assert_problem(r, 422, "request.validation")


async def test_a_measure_is_ended_and_corrected_with_if_match(client, admin):
    hh = await register_household(client, admin, V)
    m = await add_measure(client, admin, hh["id"], start="2016-04-01")
    assert m["version"] == 1
    url = f"/api/v1/households/{hh['id']}/measures/{m['id']}"
    assert_problem(await client.patch(url, headers=admin, json={"end_date": "2017-03-31"}), 428,
                   "precondition.if_match_required")
    r = await client.patch(url, headers={**admin, "If-Match": '"1"'},
                           json={"end_date": "2017-03-31"})
    assert r.status_code == 200, r.text
    assert r.json()["end_date"] == "2017-03-31" and r.headers["ETag"] == '"2"'
    stale = await client.patch(url, headers={**admin, "If-Match": '"1"'},
                               json={"project": "改"})
    assert_problem(stale, 412, "precondition.stale")
    bad = await client.patch(url, headers={**admin, "If-Match": '"2"'},
                             json={"end_date": "2016-03-01"})
    assert_problem(bad, 422, "household.measure.end_before_start")
    fixed = await client.patch(url, headers={**admin, "If-Match": '"2"'},
                               json={"project": "養殖 project (corrected)",
                                     "income_generating": False})
    assert fixed.json()["project"] == "養殖 project (corrected)" and fixed.json()["version"] == 3
    other = await register_household(client, admin, V)
    r = await client.patch(f"/api/v1/households/{other['id']}/measures/{m['id']}",
                           headers={**admin, "If-Match": '"3"'}, json={"end_date": None})
    assert_problem(r, 404, "household.measure.not_found")


async def test_a_household_cadre_sees_their_households_only_while_paired(
        client, admin, make_user, on_day):
    mine = await register_household(client, admin, V)
    neighbour = await register_household(client, admin, V)
    helper = await make_person(client, admin)
    p = (await pair(client, admin, helper["id"], "household_cadre", "2019-01-01",
                    household_id=mine["id"])).json()
    cadre = await make_user("household_cadre", "321283000000", helper_id=helper["id"])

    async def view():
        listed = (await client.get("/api/v1/households", headers=cadre)).json()["items"]
        a = await client.get(f"/api/v1/households/{mine['id']}", headers=cadre)
        b = await client.get(f"/api/v1/households/{neighbour['id']}", headers=cadre)
        return [h["id"] for h in listed], a.status_code, b.status_code

    on_day("2018-12-31")
    assert await view() == ([], 404, 404)
    on_day("2019-01-01")
    assert await view() == ([mine["id"]], 200, 404)
    visit = await client.post(f"/api/v1/households/{mine['id']}/visits", headers=cadre,
                              json={"date": "2019-01-01", "notes": "結對走訪"})
    assert visit.status_code == 201 and visit.json()["helper_id"] == helper["id"]
    r = await client.post(f"/api/v1/households/{neighbour['id']}/visits", headers=cadre,
                          json={"date": "2019-01-01", "notes": "x"})
    assert_problem(r, 404, "household.not_found")
    assert (await end(client, admin, p, "2019-06-30")).status_code == 200
    on_day("2019-06-30")
    assert await view() == ([mine["id"]], 200, 404)
    on_day("2019-07-01")
    assert await view() == ([], 404, 404)
    assert_problem(await client.post("/api/v1/households", headers=cadre, json={}), 403,
                   "auth.missing_scope")


async def test_a_cadre_user_needs_a_helper(client, admin):
    r = await client.post("/api/v1/users", headers=admin, json={
        "username": "cadre1", "password": "a long password", "role": "household_cadre",
        "region_code": "321283000000"})
    assert_problem(r, 422, "user.household_cadre_needs_helper")
