"""GET /reports/pairing-coverage: 三落實 gaps on a date (P1, P2, units), counts by 市(區)."""

from __future__ import annotations

import json

from tests.conftest import assert_problem
from tests.households.factories import exit_household, register_household
from tests.pairings.factories import make_person, make_unit, make_weak_village, pair

V1, V2, V3 = "321283100201", "321283100202", "321283100203"
XV = "321281100201"  # 興化
TOWN = "321283100000"
AS_OF = "2019-03-01"


async def sample(client, admin) -> dict[str, dict]:
    for v in (V1, V2, XV):
        await make_weak_village(client, admin, v, years=(2017, 2018))
    await make_weak_village(client, admin, V3, years=(2018,), income="500000.00")
    hh = {
        "covered": await register_household(client, admin, V1),
        "no_cadre": await register_household(client, admin, V1),
        "cadre_ended": await register_household(client, admin, V2),
        "exited": await register_household(client, admin, V2),
        "xinghua": await register_household(client, admin, XV),
        "later": await register_household(client, admin, V3, registered_on="2019-06-01"),
    }
    await exit_household(client, admin, hh["exited"], "2017-06-30")
    cadre = await make_person(client, admin)
    for key, start, end in (("covered", "2016-04-01", None),
                            ("cadre_ended", "2016-04-01", "2019-02-28")):
        r = await pair(client, admin, cadre["id"], "household_cadre", start, end,
                       household_id=hh[key]["id"])
        assert r.status_code == 201, r.text
    secretary = await make_person(client, admin)
    assert (await pair(client, admin, secretary["id"], "first_secretary", "2018-03-01",
                       region_code=V1)).status_code == 201
    unit = await make_unit(client, admin)
    assert (await pair(client, admin, unit["id"], "town_unit", "2018-01-01",
                       region_code=TOWN)).status_code == 201
    return hh


async def test_pairing_coverage_on_sample_data(client, admin):
    hh = await sample(client, admin)
    r = await client.get("/api/v1/reports/pairing-coverage", headers=admin,
                         params={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    report = r.json()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    assert (report["region_code"], report["as_of"]) == ("321200000000", AS_OF)
    assert (report["registered_households"], report["households_without_cadre"]) == (4, 3)
    assert sorted(h["household_id"] for h in report["households"]) == sorted(
        hh[k]["id"] for k in ("no_cadre", "cadre_ended", "xinghua"))
    assert (report["weak_villages"], report["weak_villages_without_first_secretary"],
            report["weak_villages_without_unit"], report["weak_villages_without_either"]) == (
        3, 2, 1, 1)
    assert [(v["village_code"], v["year"], v["has_first_secretary"], v["has_unit"])
            for v in report["villages"]] == [(XV, 2018, False, False), (V2, 2018, False, True)]
    assert report["by_district"] == [
        {"district_code": "321281000000", "registered_households": 1,
         "households_without_cadre": 1, "weak_villages": 1,
         "weak_villages_without_first_secretary": 1, "weak_villages_without_unit": 1,
         "weak_villages_without_either": 1},
        {"district_code": "321283000000", "registered_households": 3,
         "households_without_cadre": 2, "weak_villages": 2,
         "weak_villages_without_first_secretary": 1, "weak_villages_without_unit": 0,
         "weak_villages_without_either": 0},
    ]


async def test_pairing_coverage_is_as_of_the_date(client, admin):
    hh = await sample(client, admin)
    # 2017-03-01: everyone registered then (the exited household too), one cadre; the
    # secretary and the unit had not started yet, and the latest year assessed is 2017.
    report = (await client.get("/api/v1/reports/pairing-coverage", headers=admin,
                               params={"as_of": "2017-03-01"})).json()
    assert (report["registered_households"], report["households_without_cadre"]) == (5, 3)
    assert hh["cadre_ended"]["id"] not in {h["household_id"] for h in report["households"]}
    assert (report["weak_villages"], report["weak_villages_without_either"]) == (3, 3)


async def test_pairing_coverage_is_scoped_to_the_callers_region(client, admin, make_user):
    await sample(client, admin)
    taixing = await make_user("district_officer", "321283000000")
    report = (await client.get("/api/v1/reports/pairing-coverage", headers=taixing,
                               params={"as_of": AS_OF})).json()
    assert report["region_code"] == "321283000000"
    assert [d["district_code"] for d in report["by_district"]] == ["321283000000"]
    assert (report["registered_households"], report["weak_villages"]) == (3, 2)
    r = await client.get("/api/v1/reports/pairing-coverage", headers=taixing,
                         params={"region_code": "321281000000"})
    assert_problem(r, 404, "region.not_found")
