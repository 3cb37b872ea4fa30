"""A2 change requests over HTTP: maker-checker, conflicts, application through the services."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import member, register_household, valid_id
from tests.proposals.conftest import V

BASE = "/api/v1/change-requests"


async def request(client, headers, household_id: str, changes: list[dict], expect: int = 201,
                  **kw):
    r = await client.post(BASE, headers=headers, json={
        "household_id": household_id, "changes": changes, "reason": "入戶核實", **kw})
    assert r.status_code == expect, r.text
    return r.json()


async def decide(client, headers, rid: str, decision: str = "accept"):
    return await client.post(f"{BASE}/{rid}/decision", headers=headers,
                             json={"decision": decision, "notes": "核實"})


async def test_an_accepted_request_applies_through_the_services_with_events(
        client, admin, people):
    hh = await register_household(client, admin, V)
    child = hh["members"][2]["id"]
    cr = await request(client, people["fs"], hh["id"], [
        {"op": "replace", "path": "/group", "value": "5組"},
        {"op": "replace", "path": f"/members/{child}/health", "value": "chronic"}],
        effective_from="2017-05-01")
    assert cr["state"] == "open" and cr["touches"] == ["/group", f"/members/{child}/health"]
    before = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).json()
    assert before["group"] == "3組"  # nothing applied yet
    r = await decide(client, people["town"], cr["id"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted" and r.json()["decided_by_name"]
    after = (await client.get(f"/api/v1/households/{hh['id']}?as_of=2017-05-01",
                              headers=admin)).json()
    assert after["group"] == "5組"
    assert next(m for m in after["members"] if m["id"] == child)["health"] == "chronic"
    old = (await client.get(f"/api/v1/households/{hh['id']}?as_of=2017-04-30",
                            headers=admin)).json()
    assert next(m for m in old["members"] if m["id"] == child)["health"] == "healthy"
    feed = (await client.get("/api/v1/events?types=household.updated,household.member.updated",
                             headers=admin)).json()["items"]
    assert {e["type"] for e in feed} == {"household.updated", "household.member.updated"}
    d = (await client.get(f"/api/v1/decisions/{r.json()['result']['decision_id']}",
                          headers=admin)).json()
    assert (d["kind"], d["entrance"], d["rules"]) == ("change_request", "change_request", ["A2"])


async def test_the_proposer_never_decides_their_own_request(client, admin, people):
    hh = await register_household(client, admin, V)
    cr = await request(client, people["town"], hh["id"], [
        {"op": "replace", "path": "/address", "value": "新村 8 號"}])
    assert_problem(await decide(client, people["town"], cr["id"]), 403,
                   "change_request.own_request")
    assert_problem(await decide(client, people["fs"], cr["id"]), 403, "auth.missing_scope")
    ok = await decide(client, people["district"], cr["id"], "reject")
    assert ok.status_code == 200 and ok.json()["state"] == "rejected"
    assert_problem(await decide(client, people["district"], cr["id"]), 409,
                   "change_request.decided")
    got = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).json()
    assert got["address"] is None


async def test_two_open_requests_on_the_same_facts_conflict(client, admin, people):
    hh = await register_household(client, admin, V)
    head = hh["members"][0]["id"]
    first = await request(client, people["fs"], hh["id"], [
        {"op": "replace", "path": f"/members/{head}/labour_capacity", "value": "partial"}])
    r = await client.post(BASE, headers=people["fs"], json={
        "household_id": hh["id"], "reason": "離開", "changes": [
            {"op": "remove", "path": f"/members/{head}", "value": {"reason": "moved"}}]})
    body = assert_problem(r, 409, "change_request.conflict")
    assert first["id"] in body["detail"]
    # another fact of the same member does not conflict
    await request(client, people["fs"], hh["id"], [
        {"op": "replace", "path": f"/members/{head}/health", "value": "chronic"}])
    assert (await decide(client, people["town"], first["id"], "reject")).status_code == 200
    await request(client, people["fs"], hh["id"], [
        {"op": "remove", "path": f"/members/{head}/labour_capacity", "value": None}], expect=422)


async def test_a_join_keeps_its_id_number_sealed_and_applies_on_acceptance(
        client, admin, people):
    hh = await register_household(client, admin, V)
    number = valid_id("20100101")
    newborn = member("20", birth="20100101", id_number=number, name="王小寶",
                     labour_capacity="none")
    cr = await request(client, people["fs"], hh["id"], [
        {"op": "add", "path": "/members/-", "value": newborn}], effective_from="2017-05-01")
    assert number not in str(cr) and "*" in cr["changes"][0]["value"]["id_number"]
    assert number[:6] not in cr["touches"][0]
    r = await decide(client, people["town"], cr["id"])
    assert r.status_code == 200, r.text
    got = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).json()
    assert len(got["members"]) == 4


async def test_bad_changes_are_refused_when_requested(client, admin, people):
    hh = await register_household(client, admin, V)
    for changes, code in (
        ([{"op": "replace", "path": "/registered_on", "value": "2016-01-01"}],
         "change_request.bad_change"),
        ([{"op": "replace", "path": "/members/00000000-0000-0000-0000-000000000000/health",
           "value": "chronic"}], "change_request.member_unknown"),
        ([{"op": "replace", "path": f"/members/{hh['members'][0]['id']}/health",
           "value": "very_ill"}], "change_request.bad_change"),
        ([{"op": "replace", "path": "/group", "value": "1"},
          {"op": "replace", "path": "/group", "value": "2"}], "change_request.repeated_path"),
    ):
        r = await client.post(BASE, headers=people["fs"], json={
            "household_id": hh["id"], "changes": changes, "reason": "x"})
        assert_problem(r, 422, code)
    # a change the service itself refuses (a leave before the join) is refused at once
    r = await client.post(BASE, headers=people["fs"], json={
        "household_id": hh["id"], "reason": "x", "effective_from": "2016-01-01", "changes": [
            {"op": "remove", "path": f"/members/{hh['members'][1]['id']}",
             "value": {"reason": "moved"}}]})
    assert_problem(r, 422, "member.leave.before_join")
    assert (await client.get(BASE, headers=admin)).json()["items"] == []


async def test_an_acceptance_replays_and_differs_once_the_member_is_found_gone(
        client, admin, people):
    """Row 34 and A2: the acceptance records the members it changed as members on the date of
    effect; a later leave dated before it makes the replay refuse."""
    hh = await register_household(client, admin, V)
    child = hh["members"][2]["id"]
    cr = await request(client, people["fs"], hh["id"], [
        {"op": "replace", "path": f"/members/{child}/health", "value": "chronic"}],
        effective_from="2017-05-01")
    r = await decide(client, people["town"], cr["id"])
    assert r.status_code == 200, r.text
    did = r.json()["result"]["decision_id"]
    d = (await client.get(f"/api/v1/decisions/{did}", headers=admin)).json()
    assert d["outcome"] == "accepted" and d["decided_on"] == d["facts"]["date"]
    assert d["facts"]["members"] == {child: {"joined_on": "2016-03-01", "leaving": False,
                                             "member_on_date": True}}
    replay = (await client.post(f"/api/v1/decisions/{did}/replay", headers=admin)).json()
    assert (replay["result"], replay["replayed_outcome"], replay["differences"]) == (
        "same", "accepted", [])
    # the child had in fact moved away in March: recorded later, dated as it happened
    left = await client.post(f"/api/v1/households/{hh['id']}/members/{child}/leave",
                             headers=admin, json={"left_on": "2017-03-01", "reason": "moved"})
    assert left.status_code == 200, left.text
    replay = (await client.post(f"/api/v1/decisions/{did}/replay", headers=admin)).json()
    assert (replay["result"], replay["recorded_outcome"], replay["replayed_outcome"]) == (
        "different", "accepted", "refused")
    assert replay["refusals"] == ["change_request.member_not_on_date"]
    paths = {x["path"]: (x["recorded"], x["now"]) for x in replay["differences"]}
    assert paths[f"/facts/members/{child}/member_on_date"] == (True, False)


async def test_a_leave_request_replays_same_after_its_own_leave(client, admin, people):
    """The leave a request made on its date of effect is its own, not a reason to refuse it."""
    hh = await register_household(client, admin, V)
    child = hh["members"][2]["id"]
    cr = await request(client, people["fs"], hh["id"], [
        {"op": "remove", "path": f"/members/{child}", "value": {"reason": "moved"}}],
        effective_from="2017-05-01")
    r = await decide(client, people["town"], cr["id"])
    assert r.status_code == 200, r.text
    replay = (await client.post(f"/api/v1/decisions/{r.json()['result']['decision_id']}/replay",
                                headers=admin)).json()
    assert (replay["result"], replay["differences"]) == ("same", []), replay


async def test_a_change_dated_before_the_member_joined_is_refused_when_requested(
        client, admin, people):
    """What the acceptance's A2 check refuses (a member not in the household on the date of
    effect) the services already refuse when the request is made: nothing is recorded."""
    hh = await register_household(client, admin, V)  # members joined on 2016-03-01
    child = hh["members"][2]["id"]
    for change, code in (
            ({"op": "replace", "path": f"/members/{child}/health", "value": "chronic"},
             "member.not_member_on_date"),
            ({"op": "remove", "path": f"/members/{child}", "value": {"reason": "moved"}},
             "member.leave.before_join")):
        r = await client.post(BASE, headers=people["fs"], json={
            "household_id": hh["id"], "reason": "入戶核實", "changes": [change],
            "effective_from": "2016-02-01"})
        assert_problem(r, 422, code)
    listed = (await client.get(f"{BASE}?household_id={hh['id']}", headers=admin)).json()
    assert listed["items"] == []
