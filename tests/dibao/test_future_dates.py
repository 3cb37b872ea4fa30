"""D5: a step records what has happened, so none is dated after today (Asia/Shanghai): an
application, a check, the start of publicity, a decision, a suspension, resumption or
termination dated ahead is refused with dibao.case.date_in_future and changes nothing."""

from __future__ import annotations

from datetime import timedelta

from app.kit.dates import today
from tests.conftest import assert_problem
from tests.dibao.helpers import (
    all_checks,
    apply,
    approved_case,
    check,
    decide,
    get_case,
    household,
    publicise,
    set_standard,
)


def _day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


async def test_an_application_dated_tomorrow_is_refused_and_today_accepted(client, admin):
    h = await household(client, admin)
    r = await apply(client, admin, h["id"], applied_on=_day(1), expect=422)
    body = assert_problem(r, 422, "dibao.case.date_in_future")
    assert body["errors"][0]["loc"] == ["body", "applied_on"] and "D5" in body["detail"]
    r = await client.get("/api/v1/dibao/cases", headers=admin, params={"household_id": h["id"]})
    assert r.json()["items"] == []
    assert (await apply(client, admin, h["id"], applied_on=_day(0)))["state"] == "applied"


async def test_a_decision_dated_after_today_cannot_end_a_publicity_still_running(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    case = await apply(client, admin, h["id"], applied_on=_day(-20))
    r = await check(client, admin, case["id"], "deposits", checked_on=_day(1))
    assert_problem(r, 422, "dibao.case.date_in_future")
    await all_checks(client, admin, case["id"], checked_on=_day(-19))
    # Publicity may be recorded while it runs: it started, its end lies ahead.
    r = await publicise(client, admin, case["id"], _day(-3), _day(3))
    assert r.status_code == 200, r.text
    r = await decide(client, admin, case["id"], decided_on=_day(4), start_month=None)
    body = assert_problem(r, 422, "dibao.case.date_in_future")
    assert body["errors"][0]["loc"] == ["body", "decided_on"]
    r = await decide(client, admin, case["id"], decided_on=_day(4), decision="reject",
                     start_month=None)
    assert_problem(r, 422, "dibao.case.date_in_future")
    out = await get_case(client, admin, case["id"])
    assert out["state"] == "publicised" and out["decided_on"] is None
    r = await decide(client, admin, case["id"], decided_on=_day(0), start_month=None)
    assert_problem(r, 422, "dibao.approval.publicity_not_ended")


async def test_publicity_starting_tomorrow_is_refused(client, admin):
    h = await household(client, admin)
    case = await apply(client, admin, h["id"], applied_on=_day(-10))
    await all_checks(client, admin, case["id"], checked_on=_day(-9))
    r = await publicise(client, admin, case["id"], _day(1), _day(8))
    body = assert_problem(r, 422, "dibao.case.date_in_future")
    assert body["errors"][0]["loc"] == ["body", "start"]


async def test_suspend_resume_terminate_dated_after_today_are_refused(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    case = await approved_case(client, admin, h["id"])
    for action in ("suspend", "terminate"):
        r = await client.post(f"/api/v1/dibao/cases/{case['id']}/{action}", headers=admin,
                              json={"date": _day(1), "reason": "planned"})
        body = assert_problem(r, 422, "dibao.case.date_in_future")
        assert body["errors"][0]["loc"] == ["body", "date"]
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/suspend", headers=admin,
                          json={"date": _day(0), "reason": "in hospital abroad"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/resume", headers=admin,
                          json={"date": _day(1), "reason": "returns tomorrow"})
    assert_problem(r, 422, "dibao.case.date_in_future")
    assert (await get_case(client, admin, case["id"]))["state"] == "suspended"
