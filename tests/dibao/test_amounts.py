"""D2 eligibility and D3 amounts at their edges; D7 periods when a standard or an assessment
changes; the review queue (a grant never ends silently)."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.dibao.helpers import (
    approved_case,
    decide,
    feed,
    get_case,
    household,
    ready_case,
    set_standard,
)
from tests.households.factories import add_assessment


async def test_income_exactly_at_the_standard_is_not_eligible(client, admin):
    # 18,000.00 a year for 3 persons = 500.00 per person per month = the standard: not below.
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "18000.00")
    case = await ready_case(client, admin, h["id"])
    r = await decide(client, admin, case["id"])
    body = assert_problem(r, 422, "dibao.approval.not_eligible")
    assert "D2" in body["detail"]
    d2 = next(x for x in body["reasons"] if x["code"] == "dibao.approval.not_eligible")
    assert d2["rule"] == "D2"


async def test_income_one_fen_below_the_standard_is_approved(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "17999.99")
    case = await ready_case(client, admin, h["id"])
    r = await decide(client, admin, case["id"])
    assert r.status_code == 200, r.text
    [period] = r.json()["periods"]
    # 1,500.00 − 1,499.999166… = 0.0008…: rounds to 0 (D3), yet eligible (D2).
    assert period["household_monthly_income"] == "1500.00"
    assert period["monthly_benefit"] == "0.00" and period["d2_met"] is True


async def test_a_declared_monthly_income_one_fen_below_is_eligible(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "18000.00")
    case = await ready_case(client, admin, h["id"], declared_monthly_income="1499.99")
    r = await decide(client, admin, case["id"])
    assert r.status_code == 200, r.text
    assert r.json()["periods"][0]["household_monthly_income"] == "1499.99"


async def test_a_benefit_of_exactly_half_a_yuan_rounds_up(client, admin):
    # 12,006.00 / 12 = 1,000.50 a month; 3 × 500.00 − 1,000.50 = 499.50 → 500 (half-up, D3).
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12006.00")
    case = await approved_case(client, admin, h["id"])
    assert case["periods"][0]["monthly_benefit"] == "500.00"
    assert case["monthly_benefit"] == "500.00"


async def test_a_benefit_just_under_half_a_yuan_rounds_down(client, admin):
    # 12,006.12 / 12 = 1,000.51 a month; 1,500.00 − 1,000.51 = 499.49 → 499.
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12006.12")
    case = await approved_case(client, admin, h["id"])
    assert case["periods"][0]["monthly_benefit"] == "499.00"


async def test_a_single_person_grant_covers_one_person_with_their_own_income(client, admin):
    from tests.households.factories import member

    await set_standard(client, admin, "500.00")
    h = await household(client, admin, members=[
        member("02", name="王父"),
        member("20", birth="19700101", name="王殘", labour_capacity="none", health="disabled",
               disability={"category": 2, "grade": 1})])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    case = await approved_case(client, admin, h["id"], single_person_member_id=pid,
                               declared_monthly_income="120.00")
    [p] = case["periods"]
    assert (p["covered_persons"], p["household_monthly_income"], p["monthly_benefit"]) == (
        1, "120.00", "380.00")


async def test_a_standard_raised_mid_grant_opens_a_period_from_the_next_month(client, admin):
    await set_standard(client, admin, "500.00", "2016-01-01")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, h["id"])
    await set_standard(client, admin, "600.00", "2016-07-15")
    out = await get_case(client, admin, case["id"], "2016-09-01")
    assert [(p["from"], p["to"], p["standard"], p["monthly_benefit"])
            for p in out["periods"]] == [
        ("2016-05-01", "2016-07-31", "500.00", "500.00"),
        ("2016-08-01", None, "600.00", "800.00")]
    assert out["monthly_benefit"] == "800.00"
    assert (await get_case(client, admin, case["id"], "2016-07-31"))["monthly_benefit"] == "500.00"
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    assert event["entity_id"] == case["id"]
    assert event["payload"]["from"] == "2016-08-01"
    assert (event["payload"]["monthly_benefit_before"],
            event["payload"]["monthly_benefit_after"]) == ("500.00", "800.00")


async def test_a_standard_of_another_district_leaves_the_grant_alone(client, admin):
    await set_standard(client, admin, "500.00", "2016-01-01")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, h["id"])
    await set_standard(client, admin, "700.00", "2016-07-01", region_code="321282000000")
    assert len((await get_case(client, admin, case["id"]))["periods"]) == 1
    events = await feed(client, admin, "dibao.standard.created,dibao.grant.adjusted")
    assert [e["type"] for e in events] == ["dibao.standard.created"] * 2


async def test_an_income_rise_sends_the_grant_to_the_review_queue_without_ending_it(
        client, admin):
    await set_standard(client, admin, "500.00", "2016-01-01")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, h["id"])
    r = await client.get("/api/v1/dibao/review-queue", headers=admin)
    assert r.json()["items"] == []
    # 2016 assessment made 2016-12-20: 19,200.00 a year = 1,600.00 a month ≥ 3 × 500.00.
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")
    r = await client.get("/api/v1/dibao/review-queue", headers=admin)
    [item] = r.json()["items"]
    assert item["case_id"] == case["id"] and item["since"] == "2017-01-01"
    assert item["monthly_benefit"] == "0.00"
    assert [x["rule"] for x in item["reasons"]] == ["D7", "D2"]
    out = await get_case(client, admin, case["id"], "2017-02-01")
    assert out["state"] == "active" and out["needs_review"] is True
    assert out["periods"][-1]["from"] == "2017-01-01" and out["periods"][-1]["d2_met"] is False
    assert any(f["code"] == "dibao.review.d2_not_met" for f in out["flags"])
    r = await client.get("/api/v1/dibao/grants", headers=admin,
                         params={"active_on": "2017-02-01"})
    [grant] = r.json()["items"]
    assert grant["case_id"] == case["id"] and grant["needs_review"] is True
    assert grant["monthly_benefit"] == "0.00"
    # Reproducible: in 2016 the grant paid 500.00 and needed no review on that period.
    assert (await get_case(client, admin, case["id"], "2016-12-31"))["monthly_benefit"] == "500.00"


async def test_the_grants_roster_lists_grants_active_on_the_date_with_amounts(
        client, admin, make_user):
    await set_standard(client, admin, "500.00", "2016-01-01")
    h = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, h["id"])
    r = await client.get("/api/v1/dibao/grants", headers=admin, params={"active_on": "2016-04-30"})
    assert r.json()["items"] == []
    r = await client.get("/api/v1/dibao/grants", headers=admin, params={"active_on": "2016-05-01"})
    [g] = r.json()["items"]
    assert (g["case_id"], g["covered_persons"], g["monthly_benefit"]) == (case["id"], 3, "500.00")
    assert sorted(g["covered_member_ids"]) == sorted(m["id"] for m in h["members"])
    other = await make_user("district_officer", "321282000000")
    r = await client.get("/api/v1/dibao/grants", headers=other, params={"active_on": "2016-05-01"})
    assert r.json()["items"] == []
