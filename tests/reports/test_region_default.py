"""Every report without `region_code` answers for the caller's region (as the summary does), so a
district officer gets their 市(區), never the city's 404."""

from __future__ import annotations

import pytest

from tests.households.factories import register_household

DISTRICT = "321283000000"

REPORTS = [
    ("/api/v1/reports/targets", {"as_of": "2016-06-01"}),
    ("/api/v1/reports/annual-verification", {"year": 2016}),
    ("/api/v1/reports/summary", {"as_of": "2016-06-01"}),
    ("/api/v1/reports/dibao-coverage", {"as_of": "2016-06-01"}),
    ("/api/v1/reports/pairing-coverage", {"as_of": "2016-06-01"}),
]


@pytest.mark.parametrize(("path", "params"), REPORTS, ids=[p for p, _ in REPORTS])
async def test_reports_default_to_the_callers_region(client, admin, make_user, path, params):
    await register_household(client, admin)  # in 321283 (泰興市)
    officer = await make_user("district_officer", DISTRICT)
    r = await client.get(path, headers=officer, params=params)
    assert r.status_code == 200, r.text
    assert r.json()["region_code"] == DISTRICT


async def test_targets_and_verification_count_the_callers_households_by_default(
        client, admin, make_user):
    await register_household(client, admin)
    officer = await make_user("district_officer", DISTRICT)
    targets = (await client.get("/api/v1/reports/targets", headers=officer,
                                params={"as_of": "2016-06-01"})).json()
    assert targets["registered"] == 1
    check = (await client.get("/api/v1/reports/annual-verification", headers=officer,
                              params={"year": 2016})).json()
    assert (check["registered_in_year"], check["missing"]) == (1, 1)
