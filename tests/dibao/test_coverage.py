"""Coverage: the household entitlements read dibao grants (E1, E2), the 應保盡保 report (D8) and
the dibao events in the change feed."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.dibao.helpers import (
    VILLAGE,
    approved_case,
    feed,
    household,
    relief_members,
    set_standard,
)


def _item(answer: dict, code: str, person_id: str) -> dict:
    return next(i for i in answer["items"] if i["code"] == code and i["person_id"] == person_id)


async def test_medical_premium_full_follows_the_grant_once_it_is_active(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, h["id"])
    person = h["members"][0]["id"]
    r = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                         params={"as_of": "2016-04-30"})
    assert _item(r.json(), "medical_premium_full", person)["eligible"] is False
    r = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                         params={"as_of": "2016-05-01"})
    e2 = _item(r.json(), "medical_premium_full", person)
    assert (e2["eligible"], e2["basis"]) == (True, "direct")
    assert any(case["id"] in x["detail"] and x["rule"] == "E2" for x in e2["reasons"])
    assert _item(r.json(), "dibao", person)["eligible"] is True


async def test_a_single_person_grant_covers_only_that_person(client, admin):
    from tests.households.factories import member

    await set_standard(client, admin, "500.00")
    h = await household(client, admin, members=[
        member("02", name="王父"),
        member("20", birth="19700101", name="王殘", labour_capacity="none", health="disabled",
               disability={"category": 2, "grade": 1})])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    head = next(m["id"] for m in h["members"] if m["relation"] == "02")
    await approved_case(client, admin, h["id"], single_person_member_id=pid,
                        declared_monthly_income="0.00")
    r = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                         params={"as_of": "2016-06-01"})
    assert _item(r.json(), "dibao", pid)["eligible"] is True
    assert _item(r.json(), "dibao", head)["eligible"] is False


async def test_the_coverage_report_lists_relief_households_without_a_grant(client, admin):
    await set_standard(client, admin, "500.00")
    relief = await household(client, admin, "6000.00", members=relief_members())
    covered = await household(client, admin, "6000.00", members=relief_members(),
                              village="321283100202")
    await household(client, admin, "12000.00")  # development-type: no gap
    await approved_case(client, admin, covered["id"])
    r = await client.get("/api/v1/reports/dibao-coverage", headers=admin,
                         params={"region_code": "321283000000", "as_of": "2016-06-01"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [(g["household_id"], g["village_code"]) for g in out["gaps"]] == [
        (relief["id"], VILLAGE)]
    assert out["gaps"][0]["reasons"][0]["rule"] == "D8"
    # 6,000.00 a year = 500.00 a month; 2 × 500.00 − 500.00 = 500.00.
    assert out["totals"] == [{
        "district_code": "321283000000", "relief_households": 2,
        "relief_households_without_grant": 1, "households_covered": 1, "persons_covered": 2,
        "monthly_amount": "500.00"}]
    # Before the grant started both relief households were gaps.
    r = await client.get("/api/v1/reports/dibao-coverage", headers=admin,
                         params={"region_code": "321283000000", "as_of": "2016-04-30"})
    assert len(r.json()["gaps"]) == 2 and r.json()["totals"][0]["households_covered"] == 0


async def test_the_coverage_report_is_region_scoped(client, admin, make_user):
    other = await make_user("district_officer", "321282000000")
    r = await client.get("/api/v1/reports/dibao-coverage", headers=other,
                         params={"region_code": "321283000000"})
    assert_problem(r, 404, "region.not_found")


async def test_every_step_is_an_event_in_the_feed_for_the_civil_affairs_client(client, admin):
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "civil affairs", "scopes": ["dibao:read", "dibao:write", "events:read"],
        "region_code": "321200000000"})
    assert r.status_code == 201, r.text
    creds = r.json()
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"]})
    machine = {"Authorization": f"Bearer {r.json()['access_token']}"}
    await set_standard(client, machine, "500.00")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, machine, h["id"])
    cid = case["id"]
    for action, on in (("suspend", "2016-06-10"), ("resume", "2016-07-01"),
                       ("terminate", "2016-12-01")):
        r = await client.post(f"/api/v1/dibao/cases/{cid}/{action}", headers=machine,
                              json={"date": on, "reason": action})
        assert r.status_code == 200, r.text
    events = await feed(client, machine, "dibao.case.*,dibao.grant.*")
    assert [e["type"] for e in events] == [
        "dibao.case.applied", *["dibao.case.checked"] * 4, "dibao.case.publicised",
        "dibao.case.approved", "dibao.grant.started", "dibao.case.suspended",
        "dibao.case.resumed", "dibao.case.terminated"]
    assert {e["entity_id"] for e in events} == {cid}
    assert all(e["region_code"] == h["village_code"] for e in events)
    started = events[7]["payload"]
    assert (started["start_month"], started["monthly_benefit"], started["covered_persons"]) == (
        "2016-05", "500.00", 3)
