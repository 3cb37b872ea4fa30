"""GET /api/v1/reports/summary: households by status (R6, R7) and insurance totals by 市(區) and
funding body (section 8, I2, I4)."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import exit_household, member, register_household
from tests.insurance.helpers import confirm, generate, make_scheme

TAIXING = "321283100201"
HAILING = "321202100201"
URL = "/api/v1/reports/summary"


def tekun(name: str, birth: str, relation: str = "02"):
    return member(relation, birth=birth, name=name, labour_capacity="lost",
                  tekun_since="2016-03-01")


async def _setup(client, admin):
    await make_scheme(client, admin, 2019, premium="250.00")
    await make_scheme(client, admin, 2019, "major_illness_accident", premium="100.00",
                      funding_body="市、市(區)、鎮財政",
                      shares={"city": "50.00", "district": "30.00", "town": "20.00"})
    a = await register_household(client, admin, TAIXING, members=[
        tekun("甲", "19450101"), tekun("乙", "19460101", "10")])
    b = await register_household(client, admin, TAIXING, members=[
        tekun("丙", "19470101"), member("10", birth="19700101", name="丁")])
    await exit_household(client, admin, b, "2018-03-01")  # retained on 2019-01-01
    c = await register_household(client, admin, HAILING, members=[
        tekun("戊", "19480101"), member("10", birth="19710101", name="己")])
    await exit_household(client, admin, c, "2016-06-01")  # retention ended 2018-06-01
    await register_household(client, admin, HAILING, members=[
        tekun("庚", "19490101"), member("10", birth="19720101", name="辛")])
    await generate(client, admin, 2019, "basic_medical")
    await generate(client, admin, 2019, "major_illness_accident")
    await confirm(client, admin, [{"id_number": a["members"][0]["id_number"],
                                   "state": "confirmed"}])


async def test_summary_counts_households_and_insurance_by_district_and_funding_body(client,
                                                                                      admin):
    await _setup(client, admin)
    r = await client.get(URL, headers=admin, params={"as_of": "2019-01-01", "year": 2019})
    assert r.status_code == 200, r.text
    body = r.json()
    by = {d["district_code"]: d for d in body["districts"]}
    assert by["321283000000"]["households"] == {"registered": 1, "exited": 1, "retained": 1,
                                                "removed": 0}
    assert by["321202000000"]["households"] == {"registered": 1, "exited": 1, "retained": 0,
                                                "removed": 0}
    taixing = {i["kind"]: i for i in by["321283000000"]["insurance"]}
    assert taixing["basic_medical"]["funding_body"] == "醫療救助基金"
    assert (taixing["basic_medical"]["persons"], taixing["basic_medical"]["confirmed"],
            taixing["basic_medical"]["amount"], taixing["basic_medical"]["confirmed_amount"]) == (
        3, 1, "750.00", "250.00")
    assert taixing["basic_medical"]["shares"] is None
    major = taixing["major_illness_accident"]
    assert major["persons"] == 3 and major["amount"] == "300.00"
    assert major["shares"] == {"city": "150.00", "district": "90.00", "town": "60.00"}
    hailing = {i["kind"]: i for i in by["321202000000"]["insurance"]}
    assert hailing["basic_medical"]["persons"] == 1
    totals = body["totals"]
    assert totals["households"] == {"registered": 2, "exited": 2, "retained": 1, "removed": 0}
    basic = next(i for i in totals["insurance"] if i["kind"] == "basic_medical")
    assert basic["persons"] == 4 and basic["amount"] == "1000.00"


async def test_summary_counts_the_lifecycle_events_of_the_year(client, admin):
    await _setup(client, admin)
    r = await client.get(URL, headers=admin, params={"as_of": "2018-12-31", "year": 2018})
    by = {d["district_code"]: d for d in r.json()["districts"]}
    assert by["321283000000"]["events_in_year"] == {"registered": 0, "exited": 1, "returned": 0,
                                                    "removed": 0}
    assert by["321283000000"]["insurance"] == []  # no 2018 scheme
    r = await client.get(URL, headers=admin, params={"as_of": "2016-12-31", "year": 2016})
    assert r.json()["totals"]["events_in_year"] == {"registered": 4, "exited": 1,
                                                    "returned": 0, "removed": 0}


async def test_summary_is_scoped_to_the_callers_region(client, admin, make_user):
    await _setup(client, admin)
    officer = await make_user("district_officer", "321283000000")
    r = await client.get(URL, headers=officer, params={"as_of": "2019-01-01"})
    assert [d["district_code"] for d in r.json()["districts"]] == ["321283000000"]
    assert r.json()["year"] == 2019 and r.json()["region_code"] == "321283000000"
    outside = await client.get(URL, headers=officer, params={"region_code": "321202000000"})
    assert_problem(outside, 404, "region.not_found")
