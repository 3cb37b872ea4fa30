"""D6 杜絕人情保、關系保: a case whose covered person is also a helper, first secretary or user is
flagged; only an approver who is neither its verifier nor the matched person may approve it."""

from __future__ import annotations

import uuid

from tests.conftest import assert_problem
from tests.dibao.helpers import all_checks, apply, decide, household, publicise, set_standard
from tests.households.factories import head_of, member, valid_id

DISTRICT = "321283000000"


async def _flagged_case(client, admin, make_user):
    """A household whose head is also an officer; checks recorded by the verifier."""
    number = valid_id("19660512")
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, members=[
        member("02", id_number=number, name="王幹部"), member("10", name="李秀英"),
        member("20", birth="20080901", name="王小明", labour_capacity="none")])
    relative = await make_user("district_officer", DISTRICT, id_number=number,
                               username="wang_ganbu")
    verifier = await make_user("district_officer", DISTRICT, username="verifier_li")
    case = await apply(client, verifier, h["id"])
    assert case["flagged"] is True
    await all_checks(client, verifier, case["id"])
    r = await publicise(client, verifier, case["id"])
    assert r.status_code == 200
    return h, case, relative, verifier


async def test_a_flagged_case_approved_by_its_own_verifier_is_refused(client, admin, make_user):
    _, case, _, verifier = await _flagged_case(client, admin, make_user)
    r = await decide(client, verifier, case["id"])
    body = assert_problem(r, 422, "dibao.approval.conflict_of_interest")
    assert "D6" in body["detail"] and "verifier" in body["detail"]


async def test_a_flagged_case_approved_by_the_matched_person_is_refused(client, admin, make_user):
    _, case, relative, _ = await _flagged_case(client, admin, make_user)
    r = await decide(client, relative, case["id"])
    body = assert_problem(r, 422, "dibao.approval.conflict_of_interest")
    assert "matched household member" in body["detail"]


async def test_a_flagged_case_approved_by_another_officer_is_allowed_and_audited(
        client, admin, make_user):
    h, case, _, _ = await _flagged_case(client, admin, make_user)
    other = await make_user("district_officer", DISTRICT, username="approver_zhao")
    r = await decide(client, other, case["id"])
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["officer_name"] == "approver_zhao"
    r = await client.get("/api/v1/audit", headers=admin,
                         params={"action": "dibao.case.approve", "entity_id": case["id"]})
    [row] = r.json()["items"]
    fav = row["after"]["favouritism"]
    assert row["after"]["flagged"] is True and fav["rule"] == "D6"
    assert fav["approver"] == "approver_zhao"
    assert fav["matched"] == [{"member_id": head_of(h)["id"], "name": "王幹部", "role": "officer"}]
    assert fav["verifiers"] == ["verifier_li"]


async def test_an_unflagged_case_may_be_approved_by_its_verifier(client, admin, make_user):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    officer = await make_user("district_officer", DISTRICT)
    case = await apply(client, officer, h["id"])
    assert case["flagged"] is False
    await all_checks(client, officer, case["id"])
    await publicise(client, officer, case["id"])
    assert (await decide(client, officer, case["id"])).status_code == 200


async def test_a_member_who_is_a_helper_flags_the_case(client, admin, session, test_settings):
    from app import pii
    from app.models.pairings import Helper

    number = valid_id("19700101")
    session.add(Helper(id=uuid.uuid4(), kind="person", name="王幫扶", region_code=DISTRICT,
                       id_number_enc=pii.encrypt(test_settings, number),
                       id_hash=pii.id_hash(test_settings, number), created_by="test"))
    await session.commit()
    h = await household(client, admin, members=[member("02", id_number=number, name="王幫扶")],
                        net="6000.00")
    case = await apply(client, admin, h["id"])
    assert case["flagged"] is True
    assert [(f["rule"], f["role"]) for f in case["flags"]] == [("D6", "helper")]


async def _single_person_case_whose_father_is_an_officer(client, admin, make_user):
    """A single-person case (D4) for a disabled son; his father, not covered, is an officer."""
    number = valid_id("19460512")
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, members=[
        member("02", id_number=number, name="王幹部"),
        member("20", birth="19700101", name="王殘", labour_capacity="none", health="disabled",
               disability={"category": 2, "grade": 1})])
    son = next(m["id"] for m in h["members"] if m["relation"] == "20")
    father = await make_user("district_officer", DISTRICT, id_number=number,
                             username="wang_father")
    verifier = await make_user("district_officer", DISTRICT, username="verifier_sun")
    case = await apply(client, verifier, h["id"], single_person_member_id=son,
                       declared_monthly_income="120.00")
    return h, case, father, verifier


async def test_d6_a_single_person_case_is_flagged_by_a_household_member_who_is_not_covered(
        client, admin, make_user):
    h, case, _, _ = await _single_person_case_whose_father_is_an_officer(client, admin, make_user)
    assert case["flagged"] is True
    [flag] = case["flags"]
    assert (flag["rule"], flag["role"], flag["member_id"]) == ("D6", "officer", head_of(h)["id"])
    # The covered person is still only the son.
    assert case["history"][0]["details"]["covered_member_ids"] == [case["single_person_member_id"]]


async def test_d6_the_uncovered_matched_member_cannot_approve_and_another_officer_can(
        client, admin, make_user):
    _, case, father, verifier = await _single_person_case_whose_father_is_an_officer(
        client, admin, make_user)
    await all_checks(client, verifier, case["id"])
    assert (await publicise(client, verifier, case["id"])).status_code == 200
    r = await decide(client, father, case["id"])
    body = assert_problem(r, 422, "dibao.approval.conflict_of_interest")
    assert "matched household member" in body["detail"]
    r = await decide(client, verifier, case["id"])
    assert_problem(r, 422, "dibao.approval.conflict_of_interest")
    other = await make_user("district_officer", DISTRICT, username="approver_qian")
    r = await decide(client, other, case["id"])
    assert r.status_code == 200, r.text
    assert r.json()["history"][-1]["action"] == "approve"
    assert r.json()["history"][-1]["officer_name"] == "approver_qian"
