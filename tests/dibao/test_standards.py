"""D1: standards per 市(區) with an effective date; history kept, never overwritten."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.dibao.helpers import DISTRICT, set_standard


async def test_a_new_standard_is_a_new_row_and_the_history_is_kept(client, admin):
    await set_standard(client, admin, "500.00", "2016-01-01")
    await set_standard(client, admin, "630.00", "2018-01-01")
    r = await client.get("/api/v1/dibao/standards", headers=admin,
                         params={"region_code": DISTRICT})
    assert r.status_code == 200
    assert [(s["effective_from"], s["amount"]) for s in r.json()["items"]] == [
        ("2016-01-01", "500.00"), ("2018-01-01", "630.00")]


async def test_same_district_and_date_twice_is_409_and_the_first_stays(client, admin):
    await set_standard(client, admin, "500.00", "2016-01-01")
    r = await client.post("/api/v1/dibao/standards", headers=admin, json={
        "region_code": DISTRICT, "effective_from": "2016-01-01", "amount": "520.00"})
    assert_problem(r, 409, "dibao.standard.exists")
    r = await client.get("/api/v1/dibao/standards", headers=admin)
    assert [s["amount"] for s in r.json()["items"]] == ["500.00"]


async def test_a_standard_is_set_for_a_district_not_a_city_or_town(client, admin):
    r = await client.post("/api/v1/dibao/standards", headers=admin, json={
        "region_code": "321200000000", "effective_from": "2016-01-01", "amount": "500.00"})
    assert_problem(r, 422, "dibao.standard.region_not_district")
    r = await client.post("/api/v1/dibao/standards", headers=admin, json={
        "region_code": "321283100000", "effective_from": "2016-01-01", "amount": "500.00"})
    assert_problem(r, 422, "request.validation")


async def test_another_districts_officer_cannot_set_it_and_a_town_officer_reads_its_own(
        client, admin, make_user):
    other = await make_user("district_officer", "321282000000")
    r = await client.post("/api/v1/dibao/standards", headers=other, json={
        "region_code": DISTRICT, "effective_from": "2016-01-01", "amount": "500.00"})
    assert_problem(r, 404, "region.not_found")
    await set_standard(client, admin, "500.00")
    await set_standard(client, admin, "480.00", region_code="321282000000")
    r = await client.post("/api/v1/regions", headers=admin, json={
        "code": "321283100000", "name": "town", "parent_code": DISTRICT})
    town = await make_user("town_officer", "321283100000")
    r = await client.get("/api/v1/dibao/standards", headers=town)
    assert [s["region_code"] for s in r.json()["items"]] == [DISTRICT]


async def test_reading_standards_needs_dibao_read_and_writing_dibao_write(client, make_user):
    auditor = await make_user("auditor")
    r = await client.post("/api/v1/dibao/standards", headers=auditor, json={
        "region_code": DISTRICT, "effective_from": "2016-01-01", "amount": "500.00"})
    assert_problem(r, 403, "auth.missing_scope")
    assert (await client.get("/api/v1/dibao/standards", headers=auditor)).status_code == 200
