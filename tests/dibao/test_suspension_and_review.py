"""D5 and D7 as the API answers them: a suspension's unpaid months are periods paying 0.00
(`suspended`), the review queue names the state the case has, `needs_review` of a past date is
the flag then, and a member joining or leaving emits `dibao.grant.adjusted` in its transaction."""

from __future__ import annotations

from tests.dibao.helpers import approved_case, feed, get_case, household, set_standard
from tests.households.factories import add_assessment, member


async def _grant(client, admin):
    """500.00 a person from 2016-01-01; 3 persons, 12,000.00 a year: 1,500 − 1,000 = 500.00,
    approved 2016-04-10 from 2016-05."""
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12000.00")
    return h, await approved_case(client, admin, h["id"])


async def _step(client, admin, case_id: str, action: str, on: str) -> dict:
    r = await client.post(f"/api/v1/dibao/cases/{case_id}/{action}", headers=admin,
                          json={"date": on, "reason": f"{action} for the test"})
    assert r.status_code == 200, r.text
    return r.json()


def _periods(case: dict) -> list[tuple]:
    return [(p["from"], p["to"], p["monthly_benefit"], p["suspended"]) for p in case["periods"]]


async def test_suspended_months_pay_nothing(client, admin):
    _, case = await _grant(client, admin)
    await _step(client, admin, case["id"], "suspend", "2016-08-10")  # mid-month: August paid
    out = await _step(client, admin, case["id"], "resume", "2016-11-01")  # the 1st: paid
    assert _periods(out) == [
        ("2016-05-01", "2016-08-31", "500.00", False),
        ("2016-09-01", "2016-10-31", "0.00", True),
        ("2016-11-01", None, "500.00", False)]
    assert out["periods"][1]["reason"]["rule"] == "D5"
    sept = await get_case(client, admin, case["id"], "2016-09-15")
    assert (sept["state"], sept["monthly_benefit"]) == ("suspended", None)
    assert (await get_case(client, admin, case["id"], "2016-11-01"))["monthly_benefit"] == "500.00"


async def test_a_resumption_after_the_first_pays_from_the_next_month(client, admin):
    _, case = await _grant(client, admin)
    await _step(client, admin, case["id"], "suspend", "2016-08-01")  # the 1st: August unpaid
    out = await _step(client, admin, case["id"], "resume", "2016-09-20")
    assert _periods(out) == [
        ("2016-05-01", "2016-07-31", "500.00", False),
        ("2016-08-01", "2016-09-30", "0.00", True),
        ("2016-10-01", None, "500.00", False)]
    # Active again on 09-20, on the roster, but September is not paid.
    r = await client.get("/api/v1/dibao/grants", headers=admin, params={"active_on": "2016-09-25"})
    [g] = r.json()["items"]
    assert (g["case_id"], g["monthly_benefit"]) == (case["id"], "0.00")


async def test_the_review_queue_names_the_state_the_case_has(client, admin):
    h, case = await _grant(client, admin)  # stored `approved`; active from its start month
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")
    out = await get_case(client, admin, case["id"])
    [item] = (await client.get("/api/v1/dibao/review-queue", headers=admin)).json()["items"]
    assert (item["case_id"], item["state"]) == (case["id"], out["state"]) == (case["id"], "active")


async def test_needs_review_on_grants_is_the_flag_on_that_date(client, admin):
    h, case = await _grant(client, admin)
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")

    async def flag(on: str) -> bool:
        r = await client.get("/api/v1/dibao/grants", headers=admin, params={"active_on": on})
        [g] = r.json()["items"]
        return g["needs_review"]

    assert await flag("2016-12-31") is False  # D2 still held in December
    assert await flag("2017-01-01") is True
    assert (await get_case(client, admin, case["id"], "2016-12-31"))["needs_review"] is False
    assert (await get_case(client, admin, case["id"], "2017-01-01"))["needs_review"] is True


async def _leave(client, admin, household_id: str, member_id: str, left_on: str) -> None:
    r = await client.post(f"/api/v1/households/{household_id}/members/{member_id}/leave",
                          headers=admin, json={"left_on": left_on, "reason": "moved"})
    assert r.status_code == 200, r.text


async def test_a_member_leaving_emits_the_adjustment_from_the_month_after(client, admin):
    h, case = await _grant(client, admin)
    leaver = h["members"][-1]["id"]
    await _leave(client, admin, h["id"], leaver, "2016-08-15")
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    p = event["payload"]
    # 2 persons: 2 × 500 − 1,000 = 0.00 from September; D2 fails (1,000 is not below 1,000).
    assert (event["entity_id"], p["from"], p["cause"], p["member_id"],
            p["monthly_benefit_before"], p["monthly_benefit_after"], p["covered_persons"],
            p["d2_met"]) == (case["id"], "2016-09-01", "member_left", leaver, "500.00", "0.00",
                             2, False)
    out = await get_case(client, admin, case["id"], "2016-09-01")
    assert out["monthly_benefit"] == p["monthly_benefit_after"]


async def test_a_member_leaving_on_the_first_counts_from_that_month(client, admin):
    h, _ = await _grant(client, admin)
    await _leave(client, admin, h["id"], h["members"][-1]["id"], "2016-08-01")
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    assert (event["payload"]["from"], event["payload"]["cause"]) == ("2016-08-01", "member_left")


async def test_a_member_joining_emits_the_adjustment(client, admin):
    h, _ = await _grant(client, admin)
    r = await client.post(f"/api/v1/households/{h['id']}/members", headers=admin,
                          json={**member("22", birth="20100101", name="新孫"),
                                "joined_on": "2016-10-05"})
    assert r.status_code == 201, r.text
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    p = event["payload"]
    assert (p["from"], p["cause"], p["monthly_benefit_before"], p["monthly_benefit_after"]) == (
        "2016-11-01", "member_joined", "500.00", "1000.00")


async def test_a_leave_that_changes_no_grant_emits_nothing(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12000.00")  # no dibao case
    await _leave(client, admin, h["id"], h["members"][-1]["id"], "2016-08-15")
    assert await feed(client, admin, "dibao.grant.adjusted") == []
