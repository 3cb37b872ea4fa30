"""R1 poverty lines: the seeded city line, district lines above it used, below it refused."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import assert_problem
from tests.households.factories import assessment, household_body, make_village

V = "321283100201"


async def test_the_city_line_is_seeded_from_2016(client, make_user):
    officer = await make_user("district_officer", "321283000000")
    r = await client.get("/api/v1/policy/poverty-lines", headers=officer)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["region_code"], i["effective_from"], i["amount"]) for i in items] == [
        ("321200000000", "2016-01-01", "7000.00")]


async def test_a_district_line_above_the_city_line_is_used_r1(client, admin, make_user):
    await make_village(client, admin, V)
    officer = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/policy/poverty-lines", headers=officer, json={
        "region_code": "321283000000", "effective_from": "2016-01-01", "amount": "7500.00"})
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "7500.00"
    # 22,500.00 for three is 7,500.00 each: above the city line, at the district's.
    body = household_body(V, assessment_=assessment(2015, wage="22500.00", business="0.00",
                                                    transfer="0.00"))
    r = await client.post("/api/v1/households", headers=officer, json=body)
    assert r.status_code == 201, r.text
    body = household_body(V, assessment_=assessment(2015, wage="22500.03", business="0.00",
                                                    transfer="0.00"))
    r = await client.post("/api/v1/households", headers=officer, json=body)
    problem = assert_problem(r, 422, "household.register.income_above_line")
    assert "line 7,500.00 (321283, from 2016-01-01)" in problem["detail"]


async def test_a_district_line_below_the_city_line_is_refused_r1(client, make_user, db):
    officer = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/policy/poverty-lines", headers=officer, json={
        "region_code": "321283000000", "effective_from": "2017-01-01", "amount": "6999.99"})
    problem = assert_problem(r, 422, "policy.line.below_city")
    assert problem["detail"].startswith("R1 (二)")
    async with db.sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*) FROM poverty_line"))).scalar_one() == 1


async def test_lines_are_set_for_the_city_or_a_district_in_the_callers_region(client, admin,
                                                                              make_user):
    await make_village(client, admin, V)
    officer = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/policy/poverty-lines", headers=officer, json={
        "region_code": "321281000000", "effective_from": "2017-01-01", "amount": "8000.00"})
    assert_problem(r, 404, "region.not_found")
    r = await client.post("/api/v1/policy/poverty-lines", headers=officer, json={
        "region_code": "321283100000", "effective_from": "2017-01-01", "amount": "8000.00"})
    assert_problem(r, 422, "policy.line.region_level")
    r = await client.post("/api/v1/policy/poverty-lines", headers=officer, json={
        "region_code": "321200000000", "effective_from": "2017-01-01", "amount": "8000.00"})
    assert_problem(r, 404, "region.not_found")
    town = await make_user("town_officer", "321283100000")
    r = await client.post("/api/v1/policy/poverty-lines", headers=town, json={
        "region_code": "321283000000", "effective_from": "2017-01-01", "amount": "8000.00"})
    assert_problem(r, 403, "auth.missing_scope")


async def test_no_line_before_2016_is_a_clear_error(client, admin):
    await make_village(client, admin, V)
    body = household_body(V, registered_on="2015-12-31",
                          assessment_=assessment(2015, assessed_on="2015-06-30"))
    r = await client.post("/api/v1/households", headers=admin, json=body)
    assert_problem(r, 422, "policy.line.not_in_force")
