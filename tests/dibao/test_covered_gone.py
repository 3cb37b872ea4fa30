"""D2, D4, D7: a grant whose covered people are gone (left or deceased) stops paying from the
next month, yet is never ended silently: a period of 0 covered persons paying 0.00, flagged for
review, until an officer terminates it. The roster, the review queue, the coverage report and the
household entitlements agree."""

from __future__ import annotations

from tests.dibao.helpers import approved_case, get_case, household, set_standard
from tests.households.factories import member


def _item(answer: dict, code: str, person_id: str) -> dict | None:
    return next((i for i in answer["items"] if i["code"] == code and i["person_id"] == person_id),
                None)


async def _single_person_grant(client, admin):
    """A single-person grant (D4) from 2016-05 for a disabled son, 500.00 − 120.00 = 380.00."""
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, members=[
        member("02", name="王父"),
        member("20", birth="19700101", name="王殘", labour_capacity="none", health="disabled",
               disability={"category": 2, "grade": 1})])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    case = await approved_case(client, admin, h["id"], single_person_member_id=pid,
                               declared_monthly_income="120.00")
    return h, pid, case


async def _leave(client, admin, household_id: str, member_id: str, left_on: str,
                 reason: str = "deceased") -> None:
    r = await client.post(f"/api/v1/households/{household_id}/members/{member_id}/leave",
                          headers=admin, json={"left_on": left_on, "reason": reason})
    assert r.status_code == 200, r.text


async def test_a_single_person_grant_pays_nothing_from_the_month_after_the_person_dies(
        client, admin):
    h, pid, case = await _single_person_grant(client, admin)
    await _leave(client, admin, h["id"], pid, "2016-08-15")
    out = await get_case(client, admin, case["id"], "2016-09-10")
    assert [(p["from"], p["to"], p["covered_persons"], p["monthly_benefit"], p["d2_met"])
            for p in out["periods"]] == [
        ("2016-05-01", "2016-08-31", 1, "380.00", True),
        ("2016-09-01", None, 0, "0.00", False)]
    # Not ended silently: still active, flagged for review with a D7 reason.
    assert out["state"] == "active" and out["needs_review"] is True
    assert (out["covered_persons"], out["monthly_benefit"]) == (0, "0.00")
    [flag] = [f for f in out["flags"] if f["code"] == "dibao.review.no_covered_persons"]
    assert flag["rule"] == "D7" and "left or deceased" in flag["detail"]
    # August is still paid in full (benefits are monthly, D7).
    aug = await get_case(client, admin, case["id"], "2016-08-20")
    assert (aug["covered_persons"], aug["monthly_benefit"]) == (1, "380.00")


async def test_a_grant_with_nobody_left_is_in_the_review_queue(client, admin):
    h, pid, case = await _single_person_grant(client, admin)
    assert (await client.get("/api/v1/dibao/review-queue", headers=admin)).json()["items"] == []
    await _leave(client, admin, h["id"], pid, "2016-08-15", reason="moved")
    r = await client.get("/api/v1/dibao/review-queue", headers=admin)
    [item] = r.json()["items"]
    assert (item["case_id"], item["since"], item["monthly_benefit"]) == (
        case["id"], "2016-09-01", "0.00")
    assert [x["rule"] for x in item["reasons"]] == ["D7", "D2"]


async def test_the_roster_report_and_entitlements_agree_once_the_person_is_gone(client, admin):
    h, pid, case = await _single_person_grant(client, admin)
    await _leave(client, admin, h["id"], pid, "2016-08-15")

    async def roster(on: str) -> dict:
        r = await client.get("/api/v1/dibao/grants", headers=admin, params={"active_on": on})
        [g] = r.json()["items"]
        return g

    before = await roster("2016-08-14")
    assert (before["covered_persons"], before["covered_member_ids"], before["monthly_benefit"],
            before["needs_review"]) == (1, [pid], "380.00", False)  # not flagged yet then
    after = await roster("2016-09-10")
    assert (after["case_id"], after["covered_persons"], after["covered_member_ids"],
            after["monthly_benefit"], after["needs_review"]) == (case["id"], 0, [], "0.00", True)
    r = await client.get("/api/v1/reports/dibao-coverage", headers=admin,
                         params={"region_code": "321283000000", "as_of": "2016-09-10"})
    [t] = r.json()["totals"]
    assert (t["households_covered"], t["persons_covered"], t["monthly_amount"]) == (1, 0, "0.00")
    ents = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                            params={"as_of": "2016-08-14"})
    assert _item(ents.json(), "dibao", pid)["eligible"] is True
    ents = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                            params={"as_of": "2016-09-10"})
    assert [i for i in ents.json()["items"] if i["code"] == "dibao" and i["eligible"]] == []
