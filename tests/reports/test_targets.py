"""R5 targets and the R6 annual verification, as reports by region and date."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import (
    add_assessment,
    add_measure,
    member,
    register_household,
    valid_id,
)


def _relief_members():
    return [member("02", birth="19400101", labour_capacity="lost", health="chronic"),
            member("10", birth="19420202", labour_capacity="none", health="healthy")]


async def test_development_household_meets_its_target_only_with_a_measure(client, admin):
    h = await register_household(client, admin)
    r = await client.get("/api/v1/reports/targets", headers=admin, params={"as_of": "2016-06-01"})
    body = r.json()
    assert (body["registered"], body["met"], body["short"]) == (1, 0, 1)
    short = body["households_short"][0]
    assert short["household_id"] == h["id"] and short["support_type"] == "development"
    assert any(x["rule"] == "R5" for x in short["reasons"])
    await add_measure(client, admin, h["id"], start="2016-06-01")
    body = (await client.get("/api/v1/reports/targets", headers=admin,
                             params={"as_of": "2016-06-01"})).json()
    assert (body["met"], body["short"]) == (1, 0)
    # the day before the measure starts, the household still fell short
    before = (await client.get("/api/v1/reports/targets", headers=admin,
                               params={"as_of": "2016-05-31"})).json()
    assert before["short"] == 1


async def test_relief_household_without_dibao_falls_short(client, admin):
    await register_household(client, admin, members=_relief_members(),
                             assessment_={"year": 2015, "wage_income": "0.00",
                                          "business_income": "0.00", "property_income": "0.00",
                                          "transfer_income": "2000.00", "production_costs": "0.00"})
    body = (await client.get("/api/v1/reports/targets", headers=admin,
                             params={"as_of": "2016-06-01"})).json()
    assert body["by_district"] == [{"district_code": "321283000000", "registered": 1,
                                    "development": 0, "development_met": 0, "relief": 1,
                                    "relief_met": 0}]
    assert body["households_short"][0]["support_type"] == "relief"


async def test_targets_are_region_scoped(client, admin, make_user):
    await register_household(client, admin)
    xinghua = await make_user("district_officer", "321281000000")
    assert_problem(await client.get("/api/v1/reports/targets", headers=xinghua,
                                    params={"region_code": "321283000000"}), 404, "region.not_found")
    mine = (await client.get("/api/v1/reports/targets", headers=xinghua,
                             params={"region_code": "321281000000", "as_of": "2016-06-01"})).json()
    assert mine["registered"] == 0


async def test_annual_verification_lists_registered_households_lacking_the_years_assessment(client, admin):
    h = await register_household(client, admin)  # registered 2016-03-01 with a 2015 assessment
    r = await client.get("/api/v1/reports/annual-verification", headers=admin, params={"year": 2016})
    body = r.json()
    assert (body["registered_in_year"], body["missing"]) == (1, 1)
    assert body["households"][0]["household_id"] == h["id"]
    await add_assessment(client, admin, h["id"], 2016, "15000.00")
    body = (await client.get("/api/v1/reports/annual-verification", headers=admin,
                             params={"year": 2016})).json()
    assert (body["registered_in_year"], body["missing"]) == (1, 0)
    # 2017 asks again; a year before the programme (十三五 from 2016) is refused
    body = (await client.get("/api/v1/reports/annual-verification", headers=admin,
                             params={"year": 2017})).json()
    assert (body["registered_in_year"], body["missing"]) == (1, 1)
    assert_problem(await client.get("/api/v1/reports/annual-verification", headers=admin,
                                    params={"year": 2015}), 422, "request.validation")


async def test_a_household_registered_later_is_not_asked_for_earlier_years(client, admin):
    await register_household(client, admin, registered_on="2017-03-01",
                             assessment_={"year": 2016, "wage_income": "9000.00",
                                          "business_income": "0.00", "property_income": "0.00",
                                          "transfer_income": "0.00", "production_costs": "0.00"})
    body = (await client.get("/api/v1/reports/annual-verification", headers=admin,
                             params={"year": 2016})).json()
    assert body["registered_in_year"] == 0


async def test_annual_verification_counts_a_household_exited_in_the_year_not_the_years_after(
        client, admin):
    from tests.households.factories import exit_household

    h = await register_household(client, admin)  # registered 2016-03-01
    await exit_household(client, admin, h, "2017-06-30")  # its 2016 assessment, no 2017 one
    other = await register_household(client, admin, make=False, village_code="321283100201",
                                     members=[member("02", id_number=valid_id("19700101", seq=7))])

    def ask(year, **params):
        return client.get("/api/v1/reports/annual-verification", headers=admin,
                          params={"year": year, **params})

    body = (await ask(2017)).json()  # both registered on 1 January 2017, neither assessed
    assert (body["registered_in_year"], body["missing"]) == (2, 2)
    listed = (await ask(2017, limit=1)).json()
    assert (listed["registered_in_year"], listed["missing"]) == (2, 2)
    assert [x["household_id"] for x in listed["households"]] == [min(h["id"], other["id"])]
    assert listed["households"][0]["registered_on"] == "2016-03-01"
    body = (await ask(2018)).json()  # exited before 2018 and not back: only the other
    assert (body["registered_in_year"], body["missing"]) == (1, 1)
    assert body["households"][0]["household_id"] == other["id"]
