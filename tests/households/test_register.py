"""Registration: R1 at the line, ID numbers, causes, head, scoping, nothing written on refusal."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import assert_problem
from tests.households.factories import (
    assessment,
    household_body,
    make_village,
    member,
    register_household,
    valid_id,
    wrong_check_digit,
)

V = "321283100201"
TABLES = ("household", "household_member", "member_attribute_version", "household_assessment",
          "household_event", "event", "audit_log")


async def counts(db) -> dict[str, int]:
    async with db.sessionmaker() as s:
        return {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in TABLES}


def three_at(net: str) -> dict:
    return assessment(2015, wage=net, business="0.00", transfer="0.00")


async def test_income_exactly_at_the_line_registers_r1(client, admin):
    # 21,000.00 for three persons is exactly 7,000.00 each: "以下" includes the line itself.
    hh = await register_household(client, admin, V, assessment_=three_at("21000.00"))
    assert hh["status"] == "registered"
    assert hh["latest_assessment"]["net_income"] == "21000.00"
    assert hh["latest_assessment"]["per_capita_income"] == "7000.00"
    assert hh["latest_assessment"]["assessed_on"] == "2015-12-31"
    assert hh["support_type"] == "development"
    assert len(hh["members"]) == 3


async def test_one_fen_above_the_line_is_refused_r1_and_writes_nothing(client, admin, db):
    await make_village(client, admin, V)
    before = await counts(db)
    r = await client.post("/api/v1/households", headers=admin,
                          json=household_body(V, assessment_=three_at("21000.03")))
    body = assert_problem(r, 422, "household.register.income_above_line")
    assert body["detail"].startswith("R1 (二)")
    assert "7,000.01 > line 7,000.00 (321200, from 2016-01-01)" in body["detail"]
    assert await counts(db) == before


async def test_registration_needs_an_assessment_dated_on_or_before_it(client, admin):
    await make_village(client, admin, V)
    body = household_body(V, registered_on="2016-03-01",
                          assessment_=assessment(2016, assessed_on="2016-03-02"))
    r = await client.post("/api/v1/households", headers=admin, json=body)
    assert_problem(r, 422, "household.register.no_assessment")


async def test_duplicate_id_number_is_409_naming_the_household_masked(client, admin, db):
    number = valid_id("19660512", seq=11)
    first = await register_household(client, admin, V, members=[member("02", id_number=number)])
    before = await counts(db)
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, members=[member("02", id_number=valid_id("19700101", seq=13)),
                    member("10", id_number=number)]))
    body = assert_problem(r, 409, "member.id_number_taken")
    masked = number[:6] + "********" + number[-4:]
    assert body["id_number"] == masked
    assert body["household_id"] == first["id"]
    assert masked in body["detail"] and number not in r.text
    assert body["errors"][0]["loc"] == ["body", "members", 1, "id_number"]
    assert await counts(db) == before


async def test_the_same_number_twice_in_one_registration_is_refused(client, admin):
    await make_village(client, admin, V)
    number = valid_id(seq=21)
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, members=[member("02", id_number=number), member("10", id_number=number)]))
    assert_problem(r, 422, "member.id_number_repeated")


async def test_wrong_check_digit_is_refused_with_its_field(client, admin, db):
    await make_village(client, admin, V)
    before = await counts(db)
    bad = wrong_check_digit(valid_id("19660512", seq=31))
    r = await client.post("/api/v1/households", headers=admin,
                          json=household_body(V, members=[member("02", id_number=bad)]))
    body = assert_problem(r, 422, "id_number.check_digit")
    assert body["errors"][0]["loc"] == ["body", "members", 0, "id_number"]
    assert await counts(db) == before


async def test_31_february_is_not_a_birth_date(client, admin):
    await make_village(client, admin, V)
    bad = valid_id("19660231", seq=33)  # correct check digit, impossible date
    r = await client.post("/api/v1/households", headers=admin,
                          json=household_body(V, members=[member("02", id_number=bad)]))
    assert_problem(r, 422, "id_number.birth_date")


async def test_an_80_year_old_with_a_321283_number_is_accepted(client, admin):
    # 泰興市 (321283) dates from 1992, long after a 1936 birth: the number was issued later.
    number = valid_id("19360815", county="321283", seq=45)
    hh = await register_household(client, admin, V, members=[
        member("02", id_number=number, labour_capacity="none")],
        assessment_=assessment(2015, wage="0.00", business="0.00", transfer="3000.00"))
    m = hh["members"][0]
    assert m["birth_date"] == "1936-08-15"
    assert m["sex"] == "male"
    assert hh["support_type"] == "relief"


async def test_exactly_one_head_is_required(client, admin):
    await make_village(client, admin, V)
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, members=[member("10"), member("20", birth="20080901")]))
    assert_problem(r, 422, "household.head_count")
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, members=[member("02"), member("02", birth="19700101")]))
    assert_problem(r, 422, "household.head_count")


async def test_causes_are_from_the_list_at_most_two_others_no_duplicates(client, admin):
    await make_village(client, admin, V)
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, causes={"main": "illness", "others": ["illness"]}))
    assert_problem(r, 422, "household.causes.duplicate")
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, causes={"main": "illness", "others": ["land", "water", "skills"]}))
    assert_problem(r, 422, "request.validation")
    r = await client.post("/api/v1/households", headers=admin, json=household_body(
        V, causes={"main": "laziness", "others": []}))
    assert_problem(r, 422, "request.validation")


async def test_unknown_fields_are_refused(client, admin):
    await make_village(client, admin, V)
    body = household_body(V)
    body["status"] = "exited"
    r = await client.post("/api/v1/households", headers=admin, json=body)
    problem = assert_problem(r, 422, "request.validation")
    assert problem["errors"][0]["code"] == "field.unknown"


async def test_village_must_exist_in_the_callers_region(client, admin, make_user):
    await make_village(client, admin, V)
    other = await make_village(client, admin, "321281100201")
    officer = await make_user("district_officer", "321283000000")
    r = await client.post("/api/v1/households", headers=officer, json=household_body(other))
    assert_problem(r, 422, "household.village_unknown")
    r = await client.post("/api/v1/households", headers=officer,
                          json=household_body("321283100299"))
    assert_problem(r, 422, "household.village_unknown")
    r = await client.post("/api/v1/households", headers=officer, json=household_body(V))
    assert r.status_code == 201, r.text


async def test_a_household_outside_the_district_is_404(client, admin, make_user):
    hh = await register_household(client, admin, "321283100201")
    xinghua = await make_user("district_officer", "321281000000")
    r = await client.get(f"/api/v1/households/{hh['id']}", headers=xinghua)
    assert_problem(r, 404, "household.not_found")
    r = await client.get(f"/api/v1/households/{hh['id']}/entitlements", headers=xinghua)
    assert_problem(r, 404, "household.not_found")
    r = await client.post(f"/api/v1/households/{hh['id']}/visits", headers=xinghua,
                          json={"date": "2016-05-01", "notes": "x"})
    assert_problem(r, 404, "household.not_found")
    taixing = await make_user("district_officer", "321283000000")
    r = await client.get(f"/api/v1/households/{hh['id']}", headers=taixing)
    assert r.status_code == 200


async def test_registration_is_audited_and_emits_an_event(client, admin, db):
    hh = await register_household(client, admin, V)
    async with db.sessionmaker() as s:
        audit = (await s.execute(text(
            "SELECT count(*) FROM audit_log WHERE action='household.register' AND entity_id=:i"),
            {"i": hh["id"]})).scalar_one()
        events = (await s.execute(text(
            "SELECT count(*) FROM event WHERE type='household.registered' AND entity_id=:i"),
            {"i": hh["id"]})).scalar_one()
    assert (audit, events) == (1, 1)
