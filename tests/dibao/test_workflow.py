"""D5: checks one by one, publicity of at least 7 days, decision; out-of-order steps are 409."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.dibao.helpers import (
    CHECKS,
    all_checks,
    apply,
    check,
    decide,
    get_case,
    household,
    publicise,
    ready_case,
    set_standard,
)


async def _ready(client, admin, net: str = "12000.00"):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, net)
    return h, await ready_case(client, admin, h["id"])


async def test_approval_on_the_last_day_of_publicity_is_refused_and_the_day_after_allowed(
        client, admin):
    _, case = await _ready(client, admin)
    r = await decide(client, admin, case["id"], decided_on="2016-04-09")
    body = assert_problem(r, 422, "dibao.approval.publicity_not_ended")
    assert "D5" in body["detail"]
    assert (await get_case(client, admin, case["id"]))["state"] == "publicised"
    r = await decide(client, admin, case["id"], decided_on="2016-04-10")
    assert r.status_code == 200, r.text
    assert r.json()["decided_on"] == "2016-04-10" and r.json()["start_month"] == "2016-05-01"


async def test_publicity_shorter_than_7_days_is_refused(client, admin):
    await set_standard(client, admin)
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    await all_checks(client, admin, case["id"])
    r = await publicise(client, admin, case["id"], "2016-04-03", "2016-04-08")
    body = assert_problem(r, 422, "dibao.publicity.too_short")
    assert "6 day(s)" in body["detail"]
    r = await publicise(client, admin, case["id"], "2016-04-03", "2016-04-09")
    assert r.status_code == 200 and r.json()["state"] == "publicised"


async def test_approval_is_refused_while_a_check_is_missing_or_failed(client, admin):
    await set_standard(client, admin)
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    for kind in CHECKS[:3]:
        await check(client, admin, case["id"], kind)
    await publicise(client, admin, case["id"])
    r = await decide(client, admin, case["id"])
    body = assert_problem(r, 422, "dibao.approval.check_missing")
    assert "business" in body["detail"]

    h2 = await household(client, admin, village="321283100202")
    case2 = await apply(client, admin, h2["id"])
    await all_checks(client, admin, case2["id"])
    r = await check(client, admin, case2["id"], "vehicles", passed=False)
    assert r.status_code == 200
    await publicise(client, admin, case2["id"])
    r = await decide(client, admin, case2["id"])
    body = assert_problem(r, 422, "dibao.approval.check_failed")
    assert "vehicles" in body["detail"]


async def test_out_of_order_steps_are_409_and_change_nothing(client, admin):
    await set_standard(client, admin)
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    r = await publicise(client, admin, case["id"])
    body = assert_problem(r, 409, "dibao.case.invalid_transition")
    assert "D5" in body["detail"]
    r = await decide(client, admin, case["id"])
    assert_problem(r, 409, "dibao.case.invalid_transition")
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/suspend", headers=admin,
                          json={"date": "2016-06-01", "reason": "moved away"})
    assert_problem(r, 409, "dibao.case.invalid_transition")
    after = await get_case(client, admin, case["id"])
    assert after["state"] == "applied" and len(after["history"]) == 1

    await all_checks(client, admin, case["id"])
    await publicise(client, admin, case["id"])
    r = await check(client, admin, case["id"], "other", checked_on="2016-04-10")
    assert_problem(r, 409, "dibao.case.invalid_transition")
    assert (await decide(client, admin, case["id"])).status_code == 200
    r = await decide(client, admin, case["id"], decided_on="2016-04-11")
    assert_problem(r, 409, "dibao.case.invalid_transition")
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/resume", headers=admin,
                          json={"date": "2016-06-01", "reason": "back"})
    assert_problem(r, 409, "dibao.case.invalid_transition")


async def test_a_step_dated_before_the_previous_one_is_refused(client, admin):
    await set_standard(client, admin)
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    r = await check(client, admin, case["id"], "deposits", checked_on="2016-03-31")
    body = assert_problem(r, 422, "dibao.case.step_before_previous")
    assert body["errors"][0]["loc"] == ["body", "checked_on"]


async def test_a_start_month_before_the_application_month_is_refused(client, admin):
    _, case = await _ready(client, admin)
    r = await decide(client, admin, case["id"], start_month="2016-03")
    assert_problem(r, 422, "dibao.decision.start_before_application")


async def test_rejection_records_its_reason_and_closes_the_case(client, admin):
    _, case = await _ready(client, admin)
    r = await decide(client, admin, case["id"], decision="reject", start_month=None,
                     reason="owns a second house")
    assert r.status_code == 200
    out = r.json()
    assert out["state"] == "rejected" and out["periods"] == []
    assert out["history"][-1]["action"] == "reject"
    assert out["history"][-1]["reason"] == "owns a second house"


async def test_suspend_resume_terminate_with_dates_officers_and_reasons(client, admin):
    _, case = await _ready(client, admin)
    await decide(client, admin, case["id"])
    cid = case["id"]
    # Suspension before the start month: the grant is only approved then.
    r = await client.post(f"/api/v1/dibao/cases/{cid}/suspend", headers=admin,
                          json={"date": "2016-04-20", "reason": "x"})
    assert_problem(r, 409, "dibao.case.invalid_transition")
    r = await client.post(f"/api/v1/dibao/cases/{cid}/suspend", headers=admin,
                          json={"date": "2016-08-10", "reason": "in hospital abroad"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/dibao/cases/{cid}/resume", headers=admin,
                          json={"date": "2016-09-01", "reason": "returned"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/dibao/cases/{cid}/terminate", headers=admin,
                          json={"date": "2017-01-01", "reason": "income above the standard"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert [s["action"] for s in out["history"]] == [
        "apply", "record_check", "record_check", "record_check", "record_check", "publicise",
        "approve", "activate", "suspend", "resume", "terminate"]
    assert out["history"][7]["on"] == "2016-05-01"
    assert all(s["officer_name"] and s["officer"].startswith("user:") for s in out["history"])
    assert out["state"] == "terminated" and out["monthly_benefit"] is None
    assert out["periods"][-1]["to"] == "2016-12-31"
    # Reproducible for past dates: state and amount on each day.
    assert (await get_case(client, admin, cid, "2016-04-30"))["state"] == "approved"
    on_june = await get_case(client, admin, cid, "2016-06-15")
    assert on_june["state"] == "active" and on_june["monthly_benefit"] == "500.00"
    on_aug = await get_case(client, admin, cid, "2016-08-20")
    assert on_aug["state"] == "suspended" and on_aug["monthly_benefit"] is None
    assert (await get_case(client, admin, cid, "2016-09-01"))["monthly_benefit"] == "500.00"
    r = await client.get("/api/v1/dibao/cases", headers=admin,
                         params={"state": "terminated"})
    assert [c["id"] for c in r.json()["items"]] == [cid]
