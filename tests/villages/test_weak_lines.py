"""R2 weak-village lines (二.2): the city's 350,000 seeded, districts higher, never lower."""

from __future__ import annotations

from tests.conftest import assert_problem

TAIXING = "321283000000"


async def post_line(client, headers, region, effective_from, amount):
    return await client.post("/api/v1/policy/weak-village-lines", headers=headers, json={
        "region_code": region, "effective_from": effective_from, "amount": amount})


async def test_r2_city_line_of_350000_is_seeded_from_2016(client, admin):
    r = await client.get("/api/v1/policy/weak-village-lines", headers=admin)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [(i["region_code"], i["effective_from"], i["amount"]) for i in items] == [
        ("321200000000", "2016-01-01", "350000.00")]


async def test_r2_district_line_above_the_city_is_accepted_and_audited(client, admin):
    r = await post_line(client, admin, TAIXING, "2017-01-01", "400000")
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "400000.00"
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "policy.weak_village_line.create"})).json()
    assert audit["items"][0]["after"]["amount"] == "400000.00"


async def test_r2_district_line_equal_to_the_city_is_accepted(client, admin):
    assert (await post_line(client, admin, TAIXING, "2017-01-01", "350000.00")).status_code == 201


async def test_r2_district_line_one_fen_below_the_city_is_refused(client, admin):
    body = assert_problem(await post_line(client, admin, TAIXING, "2017-01-01", "349999.99"),
                          422, "policy.weak_village_line.below_city")
    assert "R2" in body["detail"]
    listed = (await client.get("/api/v1/policy/weak-village-lines", headers=admin)).json()
    assert len(listed["items"]) == 1


async def test_r2_district_line_before_any_city_line_has_nothing_to_compare(client, admin):
    assert_problem(await post_line(client, admin, TAIXING, "2015-06-01", "400000"), 422,
                   "policy.line.not_in_force")


async def test_r2_line_for_a_town_is_refused(client, admin):
    body = assert_problem(await post_line(client, admin, "321283100000", "2017-01-01", "400000"),
                          422, "policy.line.region_level")
    assert body["detail"].startswith("R2")


async def test_r2_district_officer_cannot_set_another_districts_line(client, make_user):
    xinghua = await make_user("district_officer", "321281000000")
    assert_problem(await post_line(client, xinghua, TAIXING, "2017-01-01", "400000"), 404,
                   "region.not_found")


async def test_r2_line_amount_must_be_positive(client, admin):
    assert_problem(await post_line(client, admin, TAIXING, "2017-01-01", "0"), 422,
                   "request.validation")
