"""Entitlements as of any date with R7 two-year retention; person lookup by ID number."""

from __future__ import annotations

import json

from tests.conftest import assert_problem
from tests.households.factories import (
    add_assessment,
    exit_household,
    head_of,
    member,
    register_household,
    valid_id,
)

V = "321283100201"


def item(answer, code, person_id):
    return next(i for i in answer["items"] if i["code"] == code and i["person_id"] == person_id)


def child_of(hh):
    return next(m for m in hh["members"] if m["relation"] == "20")


async def ents(client, headers, hh, on):
    r = await client.get(f"/api/v1/households/{hh['id']}/entitlements?as_of={on}",
                         headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def exited_2017(client, admin, **kw):
    hh = await register_household(client, admin, V, **kw)
    await exit_household(client, admin, hh, "2017-06-30", measure_start="2016-04-01")
    return hh


async def test_exit_on_2017_06_30_is_retained_through_2019_06_30_not_07_01(client, admin):
    hh = await exited_2017(client, admin, members=[
        member("02", birth="19660512"),
        member("20", birth="20080901", labour_capacity="none", in_school=True)])
    child = child_of(hh)["id"]
    on_end = await ents(client, admin, hh, "2019-06-30")
    assert on_end["status"] == "exited"
    assert on_end["retention"] == {"exit_date": "2017-06-30", "retention_end": "2019-06-30"}
    aid = item(on_end, "education_aid", child)
    assert (aid["eligible"], aid["basis"]) == (True, "retained")
    assert aid["reasons"][0] == {"rule": "R7", "clause": "八",
                                 "detail": "exited 2017-06-30; retained through 2019-06-30"}
    credit = item(on_end, "microcredit_interest_subsidy", None)
    assert (credit["eligible"], credit["basis"]) == (True, "retained")
    print("\nentitlements answer of a retained household (GET …/entitlements?as_of=2019-06-30):")
    print(json.dumps(on_end, ensure_ascii=False, indent=1))  # shown in the closing note

    after = await ents(client, admin, hh, "2019-07-01")
    aid = item(after, "education_aid", child)
    assert (aid["eligible"], aid["basis"]) == (False, None)
    assert {"rule": "R7", "clause": "八",
            "detail": "exited 2017-06-30; retention ended 2019-06-30"} in aid["reasons"]
    assert not item(after, "microcredit_interest_subsidy", None)["eligible"]


async def test_before_the_exit_the_basis_is_direct(client, admin):
    hh = await exited_2017(client, admin)
    before = await ents(client, admin, hh, "2017-06-29")
    assert before["status"] == "registered" and before["retention"] is None
    aid = item(before, "education_aid", child_of(hh)["id"])
    assert (aid["eligible"], aid["basis"]) == (True, "direct")


async def test_exit_on_29_february_is_retained_through_28_february(client, admin):
    hh = await register_household(client, admin, V, registered_on="2016-01-15")
    r = await exit_household(client, admin, hh, "2016-02-29", year=2015)
    assert r.json()["retention"] == {"exit_date": "2016-02-29", "retention_end": "2018-02-28"}
    child = child_of(hh)["id"]
    assert item(await ents(client, admin, hh, "2018-02-28"), "education_aid", child)["basis"] \
        == "retained"
    assert not item(await ents(client, admin, hh, "2018-03-01"), "education_aid",
                    child)["eligible"]


async def test_a_member_who_leaves_during_retention_loses_what_was_retained(client, admin):
    hh = await exited_2017(client, admin)
    child = child_of(hh)["id"]
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{child}/leave", headers=admin,
                          json={"left_on": "2018-03-01", "reason": "moved"})
    assert r.status_code == 200, r.text
    before = await ents(client, admin, hh, "2018-02-28")
    assert item(before, "education_aid", child)["basis"] == "retained"
    after = await ents(client, admin, hh, "2018-03-01")
    assert [i for i in after["items"] if i["person_id"] == child] == []
    # the others keep theirs
    head = head_of(hh)["id"]
    assert item(after, "skills_training", head)["basis"] == "retained"


async def test_a_child_who_starts_school_during_retention_gets_education_aid(client, admin):
    hh = await register_household(client, admin, V, members=[
        member("02", birth="19800101"), member("10", birth="19820101"),
        member("20", birth="20110301", labour_capacity="none", in_school=False)])
    await exit_household(client, admin, hh, "2017-06-30", measure_start="2016-04-01")
    child = child_of(hh)["id"]
    etag = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).headers["ETag"]
    r = await client.patch(f"/api/v1/households/{hh['id']}/members/{child}",
                           headers={**admin, "If-Match": etag},
                           json={"effective_from": "2017-09-01", "in_school": True})
    assert r.status_code == 200, r.text
    summer = item(await ents(client, admin, hh, "2017-08-31"), "education_aid", child)
    assert (summer["eligible"], summer["basis"]) == (False, None)
    autumn = item(await ents(client, admin, hh, "2017-09-01"), "education_aid", child)
    assert (autumn["eligible"], autumn["basis"]) == (True, "retained")
    assert {"rule": "E6", "clause": "十一", "detail": "in school"} in autumn["reasons"]


async def test_a_return_ends_retention(client, admin):
    hh = await exited_2017(client, admin)
    await add_assessment(client, admin, hh["id"], 2018, "18000.00", assessed_on="2018-12-31")
    r = await client.post(f"/api/v1/households/{hh['id']}/return", headers=admin,
                          json={"date": "2019-01-15", "assessment_year": 2018, "reason": "illness"})
    assert r.status_code == 201, r.text
    during = await ents(client, admin, hh, "2019-01-14")
    assert during["retention"] is not None
    back = await ents(client, admin, hh, "2019-01-15")
    assert (back["status"], back["retention"]) == ("registered", None)
    aid = item(back, "education_aid", child_of(hh)["id"])
    assert (aid["eligible"], aid["basis"]) == (True, "direct")
    assert aid["reasons"][0]["detail"] == "household registered since 2019-01-15"


async def test_as_of_before_registration_and_after_removal(client, admin):
    hh = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{hh['id']}/remove", headers=admin,
                          json={"date": "2018-01-10", "reason": "moved_away"})
    assert r.status_code == 201
    early = await ents(client, admin, hh, "2016-02-29")
    assert early["status"] is None
    assert [(i["code"], i["person_id"], i["eligible"]) for i in early["items"]] == [
        ("microcredit_interest_subsidy", None, False)]
    removed = await ents(client, admin, hh, "2018-01-10")
    assert removed["status"] == "removed" and removed["retention"] is None
    assert [i for i in removed["items"] if i["eligible"]] == []
    aid = item(removed, "education_aid", child_of(hh)["id"])
    assert {"rule": "R6", "clause": "八", "detail": "household removed (注銷)"} in aid["reasons"]


async def test_tekun_is_a_dated_attribute_feeding_e2(client, admin):
    hh = await register_household(client, admin, V, members=[
        member("02", birth="19400101", labour_capacity="none", tekun_since="2016-05-01")])
    head = head_of(hh)["id"]
    march = item(await ents(client, admin, hh, "2016-04-30"), "medical_premium_full", head)
    may = item(await ents(client, admin, hh, "2016-05-01"), "medical_premium_full", head)
    assert (march["eligible"], may["eligible"], may["basis"]) == (False, True, "direct")
    assert {"rule": "E2", "clause": "十三", "detail": "特困 since 2016-05-01"} in may["reasons"]


async def test_person_lookup_by_number_in_the_body(client, admin, make_user):
    number = valid_id("20080901", seq=201)
    hh = await register_household(client, admin, V, members=[
        member("02"), member("20", id_number=number, labour_capacity="none", in_school=True)])
    officer = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/persons/lookup", headers=officer,
                          json={"id_number": number, "as_of": "2017-01-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["household"] == {"id": hh["id"], "village_code": V, "status": "registered"}
    assert body["person"]["id_number"] == number[:6] + "********" + number[-4:]
    assert {i["code"] for i in body["entitlements"]} >= {"education_aid", "dibao"}
    assert all(i["person_id"] == body["person"]["id"] for i in body["entitlements"])
    assert item({"items": body["entitlements"]}, "education_aid", body["person"]["id"])["eligible"]
    xinghua = await make_user("district_officer", "321281000000")
    r = await client.post("/api/v1/persons/lookup", headers=xinghua, json={"id_number": number})
    assert_problem(r, 404, "person.not_found")
    r = await client.post("/api/v1/persons/lookup", headers=officer,
                          json={"id_number": valid_id("19991231", seq=203)})
    assert_problem(r, 404, "person.not_found")
    r = await client.post("/api/v1/persons/lookup", headers=officer,
                          json={"id_number": number[:-1] + ("0" if number[-1] != "0" else "1")})
    assert_problem(r, 422, "id_number.check_digit")


async def test_a_household_whose_last_member_left_holds_no_microcredit(client, admin):
    """R7: nobody left, nothing retained. The day before the last member leaves, the household's
    microcredit is retained; on the day of the leave (its first day outside) it is gone."""
    hh = await exited_2017(client, admin)
    for m in hh["members"]:
        r = await client.post(f"/api/v1/households/{hh['id']}/members/{m['id']}/leave",
                              headers=admin, json={"left_on": "2018-03-01", "reason": "moved"})
        assert r.status_code == 200, r.text
    credit = item(await ents(client, admin, hh, "2018-02-28"), "microcredit_interest_subsidy", None)
    assert (credit["eligible"], credit["basis"]) == (True, "retained")
    after = await ents(client, admin, hh, "2018-03-01")
    credit = item(after, "microcredit_interest_subsidy", None)
    assert (credit["eligible"], credit["basis"]) == (False, None)
    assert [r["rule"] for r in credit["reasons"]] == ["E7", "R7"]
    assert [i for i in after["items"] if i["eligible"]] == []
