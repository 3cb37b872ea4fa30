"""Applications: households registered or exited (not removed) in the caller's region,
single-person households (D4), one open case per household (D5), favouritism flags (D6)."""

from __future__ import annotations

import asyncio

from tests.conftest import assert_problem
from tests.dibao.helpers import apply, household, set_standard
from tests.households.factories import head_of, member, valid_id


async def test_an_application_starts_applied_with_its_step_and_covered_members(client, admin):
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    assert case["state"] == "applied"
    assert case["flagged"] is False and case["flags"] == []
    assert case["periods"] == [] and case["monthly_benefit"] is None
    [step] = case["history"]
    assert step["action"] == "apply" and step["on"] == "2016-04-01"
    assert sorted(step["details"]["covered_member_ids"]) == sorted(m["id"] for m in h["members"])


async def test_a_household_not_registered_on_the_application_date_is_refused(client, admin):
    h = await household(client, admin, registered_on="2016-03-01")
    r = await apply(client, admin, h["id"], applied_on="2016-02-29", expect=422)
    assert_problem(r, 422, "dibao.case.household_not_registered")


async def test_an_application_outside_the_callers_region_is_404(client, admin, make_user):
    h = await household(client, admin)
    other = await make_user("district_officer", "321282000000")
    r = await apply(client, other, h["id"], expect=404)
    assert_problem(r, 404, "household.not_found")


async def test_a_case_outside_the_callers_region_is_404_and_absent_from_lists(
        client, admin, make_user):
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    other = await make_user("district_officer", "321282000000")
    r = await client.get(f"/api/v1/dibao/cases/{case['id']}", headers=other)
    assert_problem(r, 404, "dibao.case.not_found")
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/checks", headers=other, json={
        "kind": "deposits", "passed": True, "source": "bank", "checked_on": "2016-04-02"})
    assert_problem(r, 404, "dibao.case.not_found")
    r = await client.get("/api/v1/dibao/cases", headers=other)
    assert r.json()["items"] == []
    own = await make_user("district_officer", "321283000000")
    r = await client.get("/api/v1/dibao/cases", headers=own, params={"household_id": h["id"]})
    assert [c["id"] for c in r.json()["items"]] == [case["id"]]


async def test_one_open_case_per_household(client, admin):
    h = await household(client, admin)
    await apply(client, admin, h["id"])
    r = await apply(client, admin, h["id"], applied_on="2016-04-05", expect=409)
    assert_problem(r, 409, "dibao.case.open_case_exists")


async def test_two_concurrent_applications_for_one_household_leave_exactly_one(client, admin):
    h = await household(client, admin)
    body = {"household_id": h["id"], "applied_on": "2016-04-01"}
    r1, r2 = await asyncio.gather(
        client.post("/api/v1/dibao/cases", headers=admin, json=body),
        client.post("/api/v1/dibao/cases", headers=admin, json=body))
    assert sorted([r1.status_code, r2.status_code]) == [201, 409]
    loser = r1 if r1.status_code == 409 else r2
    assert_problem(loser, 409, "dibao.case.open_case_exists")
    r = await client.get("/api/v1/dibao/cases", headers=admin, params={"household_id": h["id"]})
    assert len(r.json()["items"]) == 1


async def test_a_rejected_case_frees_the_household_for_a_new_application(client, admin):
    h = await household(client, admin)
    case = await apply(client, admin, h["id"])
    r = await client.post(f"/api/v1/dibao/cases/{case['id']}/decision", headers=admin, json={
        "decision": "reject", "decided_on": "2016-04-02", "reason": "withdrawn"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    await apply(client, admin, h["id"], applied_on="2016-05-01")


# --- D4 single-person household ---------------------------------------------------------------

def _single(birth: str = "19700101", grade: int | None = 1, employed: bool = False) -> dict:
    disability = None if grade is None else {"category": 2, "grade": grade}
    return member("20", birth=birth, name="王殘", labour_capacity="none",
                  health="disabled" if grade else "healthy", disability=disability,
                  stable_nonfarm_employment=employed)


async def _single_case(client, admin, person: dict, applied_on: str = "2016-04-01", **kw):
    h = await household(client, admin, members=[member("02", name="王父"), person])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    return h, pid, await apply(client, admin, h["id"], applied_on=applied_on,
                               single_person_member_id=pid, **kw)


async def test_a_single_person_case_for_a_severely_disabled_unemployed_adult(client, admin):
    _, pid, case = await _single_case(client, admin, _single(),
                                      declared_monthly_income="100.00")
    assert case["single_person_member_id"] == pid
    assert case["history"][0]["details"]["covered_member_ids"] == [pid]


async def test_a_single_person_application_by_a_17_year_old_is_refused_by_d4(client, admin):
    h = await household(client, admin, members=[member("02", name="王父"),
                                                _single(birth="19980402")])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    r = await apply(client, admin, h["id"], applied_on="2016-04-01", expect=422,
                    single_person_member_id=pid, declared_monthly_income="100.00")
    body = assert_problem(r, 422, "dibao.single_person.not_adult")
    assert "D4" in body["detail"] and "aged 17" in body["detail"]


async def test_a_single_person_application_on_the_18th_birthday_is_adult(client, admin):
    h = await household(client, admin, members=[member("02", name="王父"),
                                                _single(birth="19980401")])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    await apply(client, admin, h["id"], applied_on="2016-04-01",
                single_person_member_id=pid, declared_monthly_income="100.00")


async def test_a_single_person_application_by_a_grade_3_disabled_person_is_refused_by_d4(
        client, admin):
    h = await household(client, admin, members=[member("02", name="王父"), _single(grade=3)])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    r = await apply(client, admin, h["id"], expect=422, single_person_member_id=pid,
                    declared_monthly_income="100.00")
    body = assert_problem(r, 422, "dibao.single_person.not_severely_disabled")
    assert "D4" in body["detail"]


async def test_a_single_person_application_by_an_employed_person_is_refused_by_d4(
        client, admin):
    h = await household(client, admin, members=[member("02", name="王父"),
                                                _single(employed=True)])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    r = await apply(client, admin, h["id"], expect=422, single_person_member_id=pid,
                    declared_monthly_income="100.00")
    body = assert_problem(r, 422, "dibao.single_person.employed")
    assert "D4" in body["detail"]


async def test_d4_uses_the_members_attributes_in_force_on_the_application_date(client, admin):
    h = await household(client, admin, members=[member("02", name="王父"), _single(grade=3)])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    r = await client.patch(f"/api/v1/households/{h['id']}/members/{pid}",
                           headers={**admin, "If-Match": f'"{h["version"]}"'},
                           json={"disability": {"category": 2, "grade": 2},
                                 "effective_from": "2016-06-01"})
    assert r.status_code == 200, r.text
    r = await apply(client, admin, h["id"], applied_on="2016-05-31", expect=422,
                    single_person_member_id=pid, declared_monthly_income="100.00")
    assert_problem(r, 422, "dibao.single_person.not_severely_disabled")
    await apply(client, admin, h["id"], applied_on="2016-06-01",
                single_person_member_id=pid, declared_monthly_income="100.00")


async def test_a_single_person_case_must_declare_the_persons_own_income(client, admin):
    h = await household(client, admin, members=[member("02", name="王父"), _single()])
    pid = next(m["id"] for m in h["members"] if m["relation"] == "20")
    r = await apply(client, admin, h["id"], expect=422, single_person_member_id=pid)
    body = assert_problem(r, 422, "dibao.case.declared_income_required")
    assert body["errors"][0]["loc"] == ["body", "declared_monthly_income"]


async def test_a_single_person_must_be_a_member_of_the_household(client, admin):
    h = await household(client, admin)
    other = await household(client, admin, "6000.00", members=[member("02", name="別人")])
    r = await apply(client, admin, h["id"], expect=422,
                    single_person_member_id=other["members"][0]["id"],
                    declared_monthly_income="0.00")
    assert_problem(r, 422, "dibao.case.member_not_in_household")


async def test_unknown_fields_are_refused(client, admin):
    h = await household(client, admin)
    r = await apply(client, admin, h["id"], expect=422, amount="100.00")
    assert_problem(r, 422, "request.validation")


async def test_an_application_is_flagged_when_a_member_is_a_user_of_the_system(
        client, admin, make_user):
    number = valid_id("19660512")
    await set_standard(client, admin)
    h = await household(client, admin, members=[
        member("02", id_number=number, name="王幹部"), member("10", name="李秀英")])
    await make_user("district_officer", "321283000000", id_number=number)
    case = await apply(client, admin, h["id"])
    assert case["flagged"] is True
    [flag] = case["flags"]
    assert flag["rule"] == "D6" and flag["role"] == "officer"
    assert flag["member_id"] == head_of(h)["id"]
    r = await client.get("/api/v1/audit", headers=admin,
                         params={"action": "dibao.case.flag", "entity_id": case["id"]})
    [row] = r.json()["items"]
    assert row["after"]["matched"][0]["name"] == "王幹部"


# --- who may apply: registered or exited (R7: dibao follows only its own rules) ---------------

async def test_an_exited_household_may_apply_and_be_granted_dibao_with_basis_direct(
        client, admin):
    from tests.dibao.helpers import all_checks, decide, publicise
    from tests.households.factories import add_assessment, exit_household

    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    await exit_household(client, admin, h, "2017-06-30", measure_start="2016-04-01")
    # After the R7 retention ended (2019-06-30): still exited, and dibao still open to it.
    await add_assessment(client, admin, h["id"], 2019, "6000.00", assessed_on="2019-12-31")
    case = await apply(client, admin, h["id"], applied_on="2020-01-02")
    assert case["state"] == "applied"
    await all_checks(client, admin, case["id"], checked_on="2020-01-03")
    r = await publicise(client, admin, case["id"], "2020-01-04", "2020-01-10")
    assert r.status_code == 200, r.text
    r = await decide(client, admin, case["id"], decided_on="2020-01-11", start_month="2020-02")
    assert r.status_code == 200, r.text
    # D3: 3 × 500.00 − 6,000.00 / 12 = 1,000.00
    assert r.json()["periods"][0]["monthly_benefit"] == "1000.00"
    ents = await client.get(f"/api/v1/households/{h['id']}/entitlements", headers=admin,
                            params={"as_of": "2020-03-01"})
    assert ents.json()["status"] == "exited"
    e1 = next(i for i in ents.json()["items"]
              if i["code"] == "dibao" and i["person_id"] == h["members"][0]["id"])
    assert (e1["eligible"], e1["basis"]) == (True, "direct")


async def test_a_removed_household_cannot_apply(client, admin):
    h = await household(client, admin)
    r = await client.post(f"/api/v1/households/{h['id']}/remove", headers=admin,
                          json={"date": "2016-06-01", "reason": "moved_away"})
    assert r.status_code == 201, r.text
    r = await apply(client, admin, h["id"], applied_on="2016-06-01", expect=422)
    body = assert_problem(r, 422, "dibao.case.household_removed")
    assert "R6" in body["detail"]
    # Before its removal it could.
    await apply(client, admin, h["id"], applied_on="2016-05-31")
