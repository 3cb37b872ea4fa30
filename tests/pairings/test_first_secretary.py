"""First secretaries sign in (十八 駐村): they see their village only while their pairing runs."""

from __future__ import annotations

from datetime import date

import pytest

from app.kit import dates
from tests.conftest import assert_problem
from tests.households.factories import register_household
from tests.pairings.factories import end, make_person, make_weak_village, pair

V = "321283100201"
NEIGHBOUR = "321283100202"  # same town, another village


@pytest.fixture
def on_day(monkeypatch):
    """Set the business day the sign-in resolver reads (app.kit.dates.today)."""

    def set_day(day: str) -> None:
        monkeypatch.setattr(dates, "today", lambda: date.fromisoformat(day))

    return set_day


async def test_first_secretary_sees_their_village_only_during_the_pairing(
        client, admin, make_user, on_day):
    await make_weak_village(client, admin, V)
    mine = await register_household(client, admin, V)
    other = await register_household(client, admin, NEIGHBOUR)
    helper = await make_person(client, admin)
    r = await pair(client, admin, helper["id"], "first_secretary", "2019-01-01", "2019-12-31",
                   region_code=V)
    assert r.status_code == 201, r.text
    fs = await make_user("first_secretary", "321283000000", helper_id=helper["id"])

    async def view() -> tuple[list[str], int, int, str]:
        listed = (await client.get("/api/v1/households", headers=fs)).json()["items"]
        got = await client.get(f"/api/v1/households/{mine['id']}", headers=fs)
        neighbour = await client.get(f"/api/v1/households/{other['id']}", headers=fs)
        me = (await client.get("/api/v1/auth/me", headers=fs)).json()
        return [h["id"] for h in listed], got.status_code, neighbour.status_code, me["region_code"]

    on_day("2018-12-31")  # before: sees nothing
    assert await view() == ([], 404, 404, "")
    on_day("2019-01-01")  # first day: their village, and only it
    assert await view() == ([mine["id"]], 200, 404, V)
    on_day("2019-12-31")  # last day (inclusive)
    assert await view() == ([mine["id"]], 200, 404, V)
    on_day("2020-01-01")  # after: nothing again
    assert await view() == ([], 404, 404, "")
    assert_problem(await client.get(f"/api/v1/households/{mine['id']}", headers=fs), 404,
                   "household.not_found")


async def test_ending_the_pairing_early_ends_the_view(client, admin, make_user, on_day):
    await make_weak_village(client, admin, V)
    mine = await register_household(client, admin, V)
    helper = await make_person(client, admin)
    p = (await pair(client, admin, helper["id"], "first_secretary", "2019-01-01",
                    region_code=V)).json()
    fs = await make_user("first_secretary", "321283000000", helper_id=helper["id"])
    on_day("2019-06-30")
    assert (await client.get(f"/api/v1/households/{mine['id']}", headers=fs)).status_code == 200
    assert (await end(client, admin, p, "2019-06-29")).status_code == 200
    assert (await client.get(f"/api/v1/households/{mine['id']}", headers=fs)).status_code == 404
    assert (await client.get(f"/api/v1/villages/{V}", headers=fs)).status_code == 404


async def test_first_secretary_reads_their_village_and_its_pairings(client, admin, make_user,
                                                                   on_day):
    await make_weak_village(client, admin, V)
    await make_weak_village(client, admin, NEIGHBOUR)
    helper = await make_person(client, admin)
    await pair(client, admin, helper["id"], "first_secretary", "2019-01-01", region_code=V)
    fs = await make_user("first_secretary", "321283000000", helper_id=helper["id"])
    on_day("2019-03-01")
    village = await client.get(f"/api/v1/villages/{V}", headers=fs)
    assert village.status_code == 200 and village.json()["years"][-1]["weak"] is True
    listed = (await client.get("/api/v1/villages", headers=fs)).json()["items"]
    assert [v["code"] for v in listed] == [V]
    pairings = (await client.get("/api/v1/pairings", headers=fs)).json()["items"]
    assert [p["region_code"] for p in pairings] == [V]


async def test_other_roles_keep_their_token_region(client, admin, make_user, on_day):
    officer = await make_user("district_officer", "321283000000")
    on_day("2019-03-01")
    me = (await client.get("/api/v1/auth/me", headers=officer)).json()
    assert me["region_code"] == "321283000000"
