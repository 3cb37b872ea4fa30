"""The field app's calls: my work, and a village's delta sync with a cursor of ours."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import make_village, register_household
from tests.proposals.conftest import V, register_payload, step


async def sync(client, headers, village: str = V, after: str | None = None, expect: int = 200):
    params = {"village_code": village, **({"after": after} if after else {})}
    r = await client.get("/api/v1/sync", headers=headers, params=params)
    assert r.status_code == expect, r.text
    return r.json() if expect == 200 else r


async def test_a_sync_after_a_member_left_shows_the_leave(client, admin, people):
    hh = await register_household(client, admin, V)
    first = await sync(client, people["fs"])
    assert [h["household"]["id"] for h in first["households"]] == [hh["id"]]
    assert first["households"][0]["etag"].startswith(f'"{hh["version"]}')
    assert "household.registered" in {c["type"] for c in first["changes"]}
    nothing = await sync(client, people["fs"], after=first["cursor"])
    assert (nothing["households"], nothing["changes"]) == ([], [])
    spouse = hh["members"][1]["id"]
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{spouse}/leave",
                          headers=admin, json={"left_on": "2018-03-01", "reason": "married_out"})
    assert r.status_code == 200, r.text
    later = await sync(client, people["fs"], after=first["cursor"])
    assert [c["type"] for c in later["changes"]] == ["household.member.left"]
    assert later["changes"][0]["payload"]["member_id"] == spouse
    answer = later["households"][0]["household"]
    assert next(m for m in answer["members"] if m["id"] == spouse)["left_on"] == "2018-03-01"
    assert later["households"][0]["etag"] != first["households"][0]["etag"]


async def test_a_cursor_that_is_not_ours_is_422(client, admin, people):
    await register_household(client, admin, V)
    first = await sync(client, people["district"])
    for forged in ("AAAAAAAAAAA", first["cursor"][:-2] + "AA", "not base64 !"):
        assert_problem(await sync(client, people["district"], after=forged, expect=422), 422,
                       "sync.cursor_invalid")
    other = await make_village(client, admin, "321283100202")
    r = await sync(client, people["district"], village=other, after=first["cursor"], expect=422)
    assert_problem(r, 422, "sync.cursor_invalid")
    assert_problem(await sync(client, people["fs"], village=other, expect=404), 404,
                   "village.not_found")


async def test_my_work_lists_households_and_what_awaits_me(client, admin, people):
    hh = await register_household(client, admin, V)
    p = (await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "register", "payload": register_payload(),
        "proposed_on": "2017-02-20"})).json()
    cr = (await client.post("/api/v1/change-requests", headers=people["fs"], json={
        "household_id": hh["id"], "reason": "x",
        "changes": [{"op": "replace", "path": "/group", "value": "7組"}]})).json()
    fs = (await client.get("/api/v1/me/work", headers=people["fs"])).json()
    assert [h["id"] for h in fs["households"]] == [hh["id"]]
    assert fs["proposals_waiting"] == [p["id"]]  # the village appraisal is theirs
    assert fs["change_requests_waiting"] == []  # never their own request
    town = (await client.get("/api/v1/me/work", headers=people["town"])).json()
    assert town["change_requests_waiting"] == [cr["id"]]
    assert town["proposals_waiting"] == [p["id"]]
    await step(client, people["fs"], p["id"], "appraise", "2017-03-01")
    await step(client, people["fs"], p["id"], "publicise", "2017-03-02",
               publicity_start="2017-03-02", publicity_end="2017-03-08")
    await step(client, people["town"], p["id"], "review", "2017-03-08")
    fs = (await client.get("/api/v1/me/work", headers=people["fs"])).json()
    assert fs["proposals_waiting"] == []
    district = (await client.get("/api/v1/me/work", headers=people["district"])).json()
    task = next(t for t in district["tasks"] if t["kind"] == "proposal_step")
    assert (task["proposal_id"], task["due_on"]) == (p["id"], "2017-03-09")
