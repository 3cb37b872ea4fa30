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


XINGHUA = "321281000000"  # another 市(區): contains no village of 泰興


async def _user_via_api(client, admin, helper_id: str, region_code: str):
    return await client.post("/api/v1/users", headers=admin, json={
        "username": f"fs_{region_code}", "password": "correct horse battery",
        "role": "first_secretary", "region_code": region_code, "helper_id": helper_id})


async def test_a_first_secretary_region_contradicting_the_pairing_is_refused(client, admin):
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    assert (await pair(client, admin, helper["id"], "first_secretary", "2019-01-01",
                       region_code=V)).status_code == 201
    r = await _user_via_api(client, admin, helper["id"], XINGHUA)
    body = assert_problem(r, 422, "user.region_conflicts_with_pairing")
    assert body["errors"][0]["loc"] == ["body", "region_code"]
    # The village itself, or a region above it, is accepted.
    assert (await _user_via_api(client, admin, helper["id"], "321283000000")).status_code == 201


async def test_a_first_secretary_region_change_that_contradicts_the_pairing_is_refused(
        client, admin):
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    await pair(client, admin, helper["id"], "first_secretary", "2019-01-01", region_code=V)
    r = await _user_via_api(client, admin, helper["id"], "321283000000")
    user = r.json()
    r = await client.patch(f"/api/v1/users/{user['id']}", headers={
        **admin, "If-Match": r.headers.get("etag") or f'"{user["version"]}"'},
        json={"region_code": XINGHUA})
    assert_problem(r, 422, "user.region_conflicts_with_pairing")


async def test_a_pairing_outside_the_first_secretary_account_region_is_refused(
        client, admin, make_user):
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    await make_user("first_secretary", XINGHUA, helper_id=helper["id"])  # no pairing yet
    r = await pair(client, admin, helper["id"], "first_secretary", "2019-01-01", region_code=V)
    assert_problem(r, 422, "pairing.outside_user_region")


async def test_auth_me_and_the_user_list_agree_on_a_first_secretary_region(
        client, admin, make_user, on_day):
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    await pair(client, admin, helper["id"], "first_secretary", "2019-01-01", "2019-12-31",
               region_code=V)
    fs = await make_user("first_secretary", "321283000000", helper_id=helper["id"])

    async def both() -> tuple[str, str, str]:
        me = (await client.get("/api/v1/auth/me", headers=fs)).json()
        [u] = [u for u in (await client.get("/api/v1/users", headers=admin)).json()["items"]
               if u["role"] == "first_secretary"]
        one = (await client.get(f"/api/v1/users/{u['id']}", headers=admin)).json()
        assert u["account_region_code"] == one["account_region_code"] == "321283000000"
        return me["region_code"], u["region_code"], one["region_code"]

    on_day("2019-12-31")  # the pairing's last day
    assert await both() == (V, V, V)
    on_day("2020-01-01")  # the day after: nowhere, in both answers
    assert await both() == ("", "", "")
