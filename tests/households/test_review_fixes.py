"""Edges found in review: dated ETags, future dates, R8 corrections, R7 length as data."""

from __future__ import annotations

from datetime import timedelta

from app.kit.dates import today
from tests.conftest import assert_problem
from tests.households.factories import add_assessment, exit_household, register_household

V = "321283100201"


async def test_the_same_version_read_for_another_day_is_another_etag(client, admin):
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}"
    a = await client.get(url, headers=admin, params={"as_of": "2017-01-01"})
    b = await client.get(url, headers={**admin, "If-None-Match": a.headers["ETag"]},
                         params={"as_of": "2019-07-01"})
    assert b.status_code == 200 and b.headers["ETag"] != a.headers["ETag"]
    same = await client.get(url, headers={**admin, "If-None-Match": a.headers["ETag"]},
                            params={"as_of": "2017-01-01"})
    assert same.status_code == 304


async def test_an_exit_dated_after_today_is_refused(client, admin):
    hh = await register_household(client, admin, V)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    r = await client.post(f"/api/v1/households/{hh['id']}/exit", headers=admin, json={
        "exit_date": tomorrow, "signed_by_member_id": hh["members"][0]["id"],
        "signed_on": today().isoformat()})
    body = assert_problem(r, 422, "household.date_in_future")
    assert body["errors"][0]["loc"] == ["body", "exit_date"]


async def test_a_correction_cannot_take_effect_before_the_version_it_corrects(client, admin):
    hh = await register_household(client, admin, V)
    await add_assessment(client, admin, hh["id"], 2016, "15000.00", assessed_on="2016-12-31")
    r = await client.post(f"/api/v1/households/{hh['id']}/assessments", headers=admin, json={
        "year": 2016, "wage_income": "30000.00", "business_income": "0.00",
        "property_income": "0.00", "transfer_income": "0.00", "production_costs": "0.00",
        "assessed_on": "2016-12-30"})
    assert_problem(r, 422, "household.assessment.correction_backdated")
    # the same date as the version it corrects is the edge that is allowed (the later version wins)
    same_day = await add_assessment(client, admin, hh["id"], 2016, "16000.00",
                                    assessed_on="2016-12-31")
    assert same_day["version"] == 2 and same_day["assessed_on"] == "2016-12-31"
    # without a date the correction is in force from the day it is made: the past stays as it was
    fixed = await add_assessment(client, admin, hh["id"], 2016, "30000.00")
    assert fixed["version"] == 3 and fixed["assessed_on"] == today().isoformat()


async def test_exits_keep_the_retention_length_in_force_on_their_date(client, admin):
    first = await register_household(client, admin, V)
    await exit_household(client, admin, first, "2017-06-30")
    r = await client.post("/api/v1/policy/retention-rules", headers=admin,
                          json={"effective_from": "2018-01-01", "months": 12})
    assert r.status_code == 201, r.text
    second = await register_household(client, admin, "321283100202")
    await exit_household(client, admin, second, "2018-06-30")

    async def retention(hh, on):
        url = f"/api/v1/households/{hh['id']}/entitlements"
        return (await client.get(url, headers=admin, params={"as_of": on})).json()["retention"]

    # the 2017 exit keeps its 24 months; the 2018 exit takes the 12 months in force then
    assert (await retention(first, "2018-07-01"))["retention_end"] == "2019-06-30"
    assert (await retention(second, "2018-07-01"))["retention_end"] == "2019-06-30"
    rules = (await client.get("/api/v1/policy/retention-rules", headers=admin)).json()["items"]
    assert [(x["effective_from"], x["months"]) for x in rules] == [("2016-01-01", 24),
                                                                    ("2018-01-01", 12)]


async def test_only_a_city_account_sets_the_retention_length(client, make_user):
    district = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/policy/retention-rules", headers=district,
                          json={"effective_from": "2018-01-01", "months": 12})
    assert_problem(r, 403, "policy.retention.city_only")


async def test_a_measure_or_visit_names_a_recorded_helper(client, admin):
    import uuid

    hh = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{hh['id']}/visits", headers=admin, json={
        "date": "2016-05-01", "helper_id": str(uuid.uuid4()), "notes": "visited"})
    assert_problem(r, 422, "household.helper_unknown")


async def test_a_taken_number_does_not_reveal_a_household_outside_the_region(client, admin, make_user):
    from tests.households.factories import household_body, make_village, member, valid_id

    number = valid_id("19700101", seq=121)
    await register_household(client, admin, V, members=[member("02", id_number=number)],
                             assessment_={"year": 2015, "wage_income": "5000.00",
                                          "business_income": "0.00", "property_income": "0.00",
                                          "transfer_income": "0.00", "production_costs": "0.00"})
    await make_village(client, admin, "321281100201")
    xinghua = await make_user("district_officer", "321281000000")
    body = household_body("321281100201", members=[member("02", id_number=number)])
    r = await client.post("/api/v1/households", headers=xinghua, json=body)
    problem = assert_problem(r, 409, "member.id_number_taken")
    assert problem["household_id"] is None and "outside your view" in problem["detail"]
    assert number not in r.text  # masked
