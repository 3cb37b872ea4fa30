"""A1 staged proposals over HTTP: order, publicity, objections, rules at proposal and decision."""

from __future__ import annotations

import json
import os

from tests.conftest import assert_problem
from tests.households.factories import add_assessment, add_measure, head_of, household_body, member
from tests.households.factories import register_household as direct_register
from tests.proposals.conftest import V, register_payload, step, through_review


async def propose(client, headers, expect: int = 201, **body):
    r = await client.post("/api/v1/proposals", headers=headers, json={"village_code": V, **body})
    assert r.status_code == expect, r.text
    return r.json()


async def test_a_registration_proposal_through_every_step_writes_the_registration(
        client, admin, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20", notes="户主申请, 村民小组提名")
    assert p["state"] == "proposed" and p["steps"][0]["step"] == "propose"
    assert p["payload"]["members"][0]["id_number"].count("*") >= 8  # masked in the answer
    await through_review(client, people, p["id"])
    # the last day of publicity (2017-03-08) is refused, the next day accepted
    last = await step(client, people["district"], p["id"], "approve", "2017-03-08", expect=422)
    assert "A1" in assert_problem(last, 422, "proposal.publicity_not_ended")["detail"]
    out = (await step(client, people["district"], p["id"], "approve", "2017-03-09")).json()
    assert out["state"] == "approved"
    assert [s["step"] for s in out["steps"]] == ["propose", "appraise", "publicise", "review",
                                                 "approve"]
    hid = out["result"]["household_id"]
    hh = (await client.get(f"/api/v1/households/{hid}", headers=admin)).json()
    assert hh["registered_on"] == "2017-03-09" and hh["status"] == "registered"
    assert len(hh["members"]) == 3 and hh["village_code"] == V
    events = (await client.get(f"/api/v1/households/{hid}/events", headers=admin)).json()["items"]
    assert [e["kind"] for e in events] == ["register"]
    assert events[0]["payload"]["entrance"] == "proposal"
    assert events[0]["payload"]["proposal_id"] == p["id"]
    decision = (await client.get(f"/api/v1/decisions/{out['result']['decision_id']}",
                                 headers=admin)).json()
    assert decision["entrance"] == "proposal" and decision["proposal_id"] == p["id"]
    assert decision["kind"] == "register" and decision["decided_on"] == "2017-03-09"
    assert decision["policy_versions"]["poverty_line"]["amount"]
    again = (await client.get(f"/api/v1/proposals/{p['id']}", headers=people["fs"])).json()
    assert again == out
    if os.environ.get("XIAOKANG_SHOW_EXAMPLES"):
        with open(os.environ["XIAOKANG_SHOW_EXAMPLES"], "w") as f:
            json.dump({"proposal": out, "decision": decision}, f, ensure_ascii=False, indent=1)


async def test_first_secretaries_and_town_officers_no_longer_register_directly(client, people):
    body = household_body(V)
    for who in ("fs", "town"):
        r = await client.post("/api/v1/households", headers=people[who], json=body)
        assert_problem(r, 403, "auth.missing_scope")


async def test_publicity_of_six_days_is_refused_and_of_seven_accepted(client, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    await step(client, people["fs"], p["id"], "appraise", "2017-03-01")
    r = await step(client, people["fs"], p["id"], "publicise", "2017-03-02", expect=422,
                   publicity_start="2017-03-02", publicity_end="2017-03-07")
    body = assert_problem(r, 422, "proposal.publicity.too_short")
    assert "A1" in body["detail"]
    got = (await client.get(f"/api/v1/proposals/{p['id']}", headers=people["fs"])).json()
    assert got["state"] == "appraised" and got["publicity_end"] is None  # nothing written
    ok = await step(client, people["fs"], p["id"], "publicise", "2017-03-02",
                    publicity_start="2017-03-02", publicity_end="2017-03-08")
    assert ok.json()["state"] == "publicised"


async def test_steps_out_of_order_are_409_and_change_nothing(client, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    r = await step(client, people["district"], p["id"], "approve", "2017-03-01", expect=409)
    assert_problem(r, 409, "proposal.step_out_of_order")
    r = await step(client, people["fs"], p["id"], "publicise", "2017-03-01", expect=409,
                   publicity_start="2017-03-01", publicity_end="2017-03-07")
    assert_problem(r, 409, "proposal.step_out_of_order")
    got = (await client.get(f"/api/v1/proposals/{p['id']}", headers=people["fs"])).json()
    assert got["state"] == "proposed" and len(got["steps"]) == 1


async def test_each_step_needs_its_level(client, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    await step(client, people["fs"], p["id"], "appraise", "2017-03-01")
    await step(client, people["fs"], p["id"], "publicise", "2017-03-02",
               publicity_start="2017-03-02", publicity_end="2017-03-08")
    assert_problem(await step(client, people["fs"], p["id"], "review", "2017-03-09", expect=403),
                   403, "auth.missing_scope")
    await step(client, people["town"], p["id"], "review", "2017-03-09")
    assert_problem(await step(client, people["town"], p["id"], "approve", "2017-03-10",
                              expect=403), 403, "auth.missing_scope")


async def test_no_decision_while_an_objection_is_open(client, admin, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    await step(client, people["fs"], p["id"], "appraise", "2017-03-01")
    await step(client, people["fs"], p["id"], "publicise", "2017-03-02",
               publicity_start="2017-03-02", publicity_end="2017-03-08")
    base = f"/api/v1/proposals/{p['id']}/objections"
    outside = await client.post(base, headers=people["fs"], json={
        "raised_by": "村民 張三", "raised_on": "2017-03-09", "grounds": "收入不實"})
    assert_problem(outside, 409, "proposal.objection.outside_publicity")
    r = await client.post(base, headers=people["fs"], json={
        "raised_by": "村民 張三", "raised_on": "2017-03-08", "grounds": "收入不實"})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    await step(client, people["town"], p["id"], "review", "2017-03-09")
    r = await step(client, people["district"], p["id"], "approve", "2017-03-10", expect=409)
    assert_problem(r, 409, "proposal.objection_open")
    assert_problem(await step(client, people["district"], p["id"], "reject", "2017-03-10",
                              expect=409), 409, "proposal.objection_open")
    settle = f"{base}/{oid}/settle"
    early = await client.post(settle, headers=people["town"], json={
        "outcome": "dismissed", "settled_on": "2017-03-07", "notes": "核實無誤"})
    assert_problem(early, 422, "proposal.objection.settled_before_raised")
    r = await client.post(settle, headers=people["town"], json={
        "outcome": "dismissed", "settled_on": "2017-03-09", "notes": "核實無誤"})
    assert r.status_code == 200 and r.json()["outcome"] == "dismissed"
    twice = await client.post(settle, headers=people["town"], json={
        "outcome": "upheld", "settled_on": "2017-03-09", "notes": "x"})
    assert_problem(twice, 409, "proposal.objection.already_settled")
    listed = (await client.get(base, headers=people["fs"])).json()
    assert [(o["raised_by"], o["outcome"], o["settled_by"] is not None) for o in listed] == [
        ("村民 張三", "dismissed", True)]
    out = (await step(client, people["district"], p["id"], "approve", "2017-03-10")).json()
    assert out["state"] == "approved"


async def test_an_upheld_objection_allows_only_a_rejection(client, admin, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    await step(client, people["fs"], p["id"], "appraise", "2017-03-01")
    await step(client, people["fs"], p["id"], "publicise", "2017-03-02",
               publicity_start="2017-03-02", publicity_end="2017-03-08")
    base = f"/api/v1/proposals/{p['id']}/objections"
    oid = (await client.post(base, headers=people["fs"], json={
        "raised_by": "村民 李四", "raised_on": "2017-03-03", "grounds": "有車"})).json()["id"]
    await client.post(f"{base}/{oid}/settle", headers=people["town"], json={
        "outcome": "upheld", "settled_on": "2017-03-05", "notes": "有營運車輛"})
    await step(client, people["town"], p["id"], "review", "2017-03-09")
    assert_problem(await step(client, people["district"], p["id"], "approve", "2017-03-10",
                              expect=409), 409, "proposal.objection_upheld")
    out = (await step(client, people["district"], p["id"], "reject", "2017-03-10")).json()
    assert out["state"] == "rejected" and out["result"] is None
    listed = (await client.get("/api/v1/households", headers=admin)).json()["items"]
    assert listed == []


async def test_a_rule_that_held_at_the_proposal_fails_at_the_decision(client, admin, people):
    hh = await direct_register(client, admin, V)
    await add_assessment(client, admin, hh["id"], 2016, "30000.00", assessed_on="2017-01-01")
    # the only income-generating measure ends between the proposal and the decision (R5)
    await add_measure(client, admin, hh["id"], start="2016-04-01", end="2017-03-05")
    head = head_of(hh)
    payload = {"signed_by_member_id": head["id"], "signed_on": "2017-02-25"}
    p = await propose(client, people["fs"], kind="exit", household_id=hh["id"], payload=payload,
                      proposed_on="2017-03-01")
    await through_review(client, people, p["id"])
    r = await step(client, people["district"], p["id"], "approve", "2017-03-10", expect=422)
    assert_problem(r, 422, "household.exit.target_unmet")
    got = (await client.get(f"/api/v1/proposals/{p['id']}", headers=admin)).json()
    assert got["state"] == "reviewed" and got["result"] is None
    events = (await client.get(f"/api/v1/households/{hh['id']}/events",
                               headers=admin)).json()["items"]
    assert [e["kind"] for e in events] == ["register"]


async def test_an_exit_proposal_approved_writes_the_exit_with_the_proposals_publicity(
        client, admin, people):
    hh = await direct_register(client, admin, V)
    await add_assessment(client, admin, hh["id"], 2016, "30000.00", assessed_on="2017-01-01")
    await add_measure(client, admin, hh["id"], start="2016-04-01")
    payload = {"signed_by_member_id": head_of(hh)["id"], "signed_on": "2017-02-25"}
    p = await propose(client, people["fs"], kind="exit", household_id=hh["id"], payload=payload,
                      proposed_on="2017-03-01")
    dup = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "remove", "household_id": hh["id"],
        "payload": {"reason": "moved_away"}})
    assert_problem(dup, 409, "proposal.already_open")
    await through_review(client, people, p["id"])
    out = (await step(client, people["district"], p["id"], "approve", "2017-03-10")).json()
    e = (await client.get(f"/api/v1/households/{hh['id']}/events", headers=admin)).json()["items"]
    assert [x["kind"] for x in e] == ["register", "exit"]
    assert e[1]["date"] == "2017-03-10" and e[1]["retention"]["retention_end"] == "2019-03-10"
    assert (e[1]["payload"]["publicity_start"], e[1]["payload"]["publicity_end"]) == (
        "2017-03-02", "2017-03-08")
    assert out["result"]["event_id"] == e[1]["id"]


async def test_a_proposal_the_rules_refuse_is_not_recorded(client, admin, people):
    rich = register_payload(members=[member("02", birth="19660512")])
    rich["assessment"]["wage_income"] = "90000.00"
    r = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "register", "payload": rich, "proposed_on": "2017-02-20"})
    assert_problem(r, 422, "household.register.income_above_line")
    fixed = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "register",
        "payload": {**register_payload(), "registered_on": "2017-01-01"}})
    assert_problem(fixed, 422, "proposal.payload_fixed_field")
    future = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "register", "payload": register_payload(),
        "proposed_on": "2099-01-01"})
    assert_problem(future, 422, "proposal.date_in_future")
    assert (await client.get("/api/v1/proposals", headers=admin)).json()["items"] == []
    assert (await client.get("/api/v1/households", headers=admin)).json()["items"] == []


async def test_proposals_are_scoped_to_the_callers_region(client, admin, make_user, people):
    p = await propose(client, people["fs"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    other = await make_user("district_officer", "321281000000")
    assert_problem(await client.get(f"/api/v1/proposals/{p['id']}", headers=other), 404,
                   "proposal.not_found")
    assert (await client.get("/api/v1/proposals", headers=other)).json()["items"] == []
    r = await step(client, other, p["id"], "appraise", "2017-03-01", expect=404)
    assert_problem(r, 404, "proposal.not_found")


async def test_removal_and_return_proposals_write_their_events(client, admin, people):
    from tests.households.factories import exit_household

    gone = await direct_register(client, admin, V)
    p = await propose(client, people["fs"], kind="remove", household_id=gone["id"],
                      payload={"reason": "moved_away", "note": "全家遷出"},
                      proposed_on="2017-03-01")
    await through_review(client, people, p["id"])
    await step(client, people["district"], p["id"], "approve", "2017-03-09")
    got = (await client.get(f"/api/v1/households/{gone['id']}?as_of=2017-03-09",
                            headers=admin)).json()
    assert got["status"] == "removed"

    back = await direct_register(client, admin, V)
    await exit_household(client, admin, back, "2017-06-30")
    await add_assessment(client, admin, back["id"], 2017, "3000.00", assessed_on="2017-12-31")
    p = await propose(client, people["fs"], kind="return", household_id=back["id"],
                      payload={"assessment_year": 2017, "reason": "因病返貧"},
                      proposed_on="2018-01-05")
    await through_review(client, people, p["id"], appraise="2018-01-06", start="2018-01-07",
                         end="2018-01-13", review="2018-01-13")
    out = (await step(client, people["district"], p["id"], "approve", "2018-01-14")).json()
    d = (await client.get(f"/api/v1/decisions/{out['result']['decision_id']}",
                          headers=admin)).json()
    assert (d["kind"], d["entrance"], d["decided_on"]) == ("return", "proposal", "2018-01-14")
    replay = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
    assert replay["result"] == "same", replay


async def test_a_proposal_names_its_household_in_its_village(client, admin, people):
    hh = await direct_register(client, admin, V)
    r = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "remove", "payload": {"reason": "other"}})
    assert_problem(r, 422, "proposal.household_required")
    r = await client.post("/api/v1/proposals", headers=people["district"], json={
        "village_code": "321283100202", "kind": "remove", "household_id": hh["id"],
        "payload": {"reason": "other"}})
    assert_problem(r, 422, "proposal.village_mismatch")
    r = await client.post("/api/v1/proposals", headers=people["fs"], json={
        "village_code": V, "kind": "remove", "household_id": hh["id"],
        "payload": {"reason": "not a reason"}})
    assert_problem(r, 422, "proposal.payload_invalid")


async def test_a_district_officer_does_not_approve_their_own_proposal(client, people, make_user):
    p = await propose(client, people["district"], kind="register", payload=register_payload(),
                      proposed_on="2017-02-20")
    await through_review(client, people, p["id"])
    r = await step(client, people["district"], p["id"], "approve", "2017-03-09", expect=403)
    assert_problem(r, 403, "proposal.own_proposal")
    colleague = await make_user("district_officer", "321283000000")
    out = (await step(client, colleague, p["id"], "approve", "2017-03-09")).json()
    assert out["state"] == "approved"
