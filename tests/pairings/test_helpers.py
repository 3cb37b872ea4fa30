"""Helpers (十七): people with masked ID numbers, units with credit codes, region scoping."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import valid_id, wrong_check_digit
from tests.pairings.factories import VALID_USCC, make_person, make_unit


async def test_person_helper_id_number_is_masked_without_pii_read(client, make_user):
    officer = await make_user("city_officer")
    number = valid_id("19750101", seq=11)
    helper = await make_person(client, officer, id_number=number)
    assert helper["id_number"] == number[:6] + "********" + number[-4:]
    assert (helper["kind"], helper["unit"], helper["region_code"]) == (
        "person", "市財政局", "321200000000")
    listed = (await client.get("/api/v1/helpers", headers=officer)).json()["items"]
    assert listed[0]["id_number"] == helper["id_number"]


async def test_unmasked_helper_id_number_needs_pii_read_and_is_audited(client, admin, make_user):
    number = valid_id("19750101", seq=13)
    helper = await make_person(client, admin, id_number=number)
    assert helper["id_number"] == number
    reader = await make_user("city_officer", extra_scopes=["pii:read"])
    got = (await client.get(f"/api/v1/helpers/{helper['id']}", headers=reader)).json()
    assert got["id_number"] == number
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "pii.read", "entity_id": helper["id"]})).json()
    assert len(audit["items"]) == 2  # the admin's answer on creation and the reader's GET


async def test_person_helper_id_number_is_checked(client, admin):
    r = await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "person", "name": "x", "unit": "y", "id_number": wrong_check_digit(valid_id())})
    body = assert_problem(r, 422, "id_number.check_digit")
    assert body["errors"][0]["loc"] == ["body", "id_number"]


async def test_the_same_person_is_recorded_once(client, admin):
    number = valid_id("19750101", seq=15)
    await make_person(client, admin, id_number=number)
    r = await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "person", "name": "x", "unit": "y", "id_number": number})
    assert_problem(r, 409, "helper.exists")


async def test_enterprise_needs_a_unified_social_credit_code(client, admin):
    r = await client.post("/api/v1/helpers", headers=admin,
                          json={"kind": "unit", "name": "某公司", "unit_kind": "enterprise"})
    assert_problem(r, 422, "helper.uscc.required")


async def test_enterprise_credit_code_with_a_wrong_check_character_is_refused(client, admin):
    r = await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "unit", "name": "某公司", "unit_kind": "enterprise", "uscc": VALID_USCC[:-1] + "M"})
    assert_problem(r, 422, "helper.uscc.invalid")


async def test_enterprise_with_a_valid_code_is_recorded_normalised(client, admin):
    unit = await make_unit(client, admin, unit_kind="enterprise", uscc=VALID_USCC.lower())
    assert (unit["unit_kind"], unit["uscc"], unit["id_number"]) == ("enterprise", VALID_USCC, None)
    again = await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "unit", "name": "又一家", "unit_kind": "enterprise", "uscc": VALID_USCC})
    assert_problem(again, 409, "helper.exists")


async def test_department_needs_no_credit_code(client, admin):
    unit = await make_unit(client, admin)
    assert (unit["kind"], unit["unit_kind"], unit["uscc"]) == ("unit", "department", None)


async def test_helper_body_refuses_unknown_fields_and_kinds(client, admin):
    r = await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "unit", "name": "x", "unit_kind": "department", "id_number": valid_id()})
    assert_problem(r, 422, "request.validation")
    r = await client.post("/api/v1/helpers", headers=admin, json={"kind": "robot", "name": "x"})
    assert_problem(r, 422, "request.validation")


async def test_helpers_are_scoped_to_their_region(client, admin, make_user):
    taixing = await make_user("district_officer", "321283000000")
    xinghua = await make_user("district_officer", "321281000000")
    mine = await make_person(client, taixing)
    assert mine["region_code"] == "321283000000"
    assert_problem(await client.get(f"/api/v1/helpers/{mine['id']}", headers=xinghua), 404,
                   "helper.not_found")
    assert (await client.get("/api/v1/helpers", headers=xinghua)).json()["items"] == []
    # nor may an officer file a helper under another region
    r = await client.post("/api/v1/helpers", headers=xinghua, json={
        "kind": "unit", "name": "x", "unit_kind": "other", "region_code": "321283000000"})
    assert_problem(r, 404, "region.not_found")
