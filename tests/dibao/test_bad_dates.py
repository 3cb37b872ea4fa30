"""Dates at the edges of the calendar are 422 problem+json, never a 500: the start month is
YYYY-MM with a year 1900-2099 and a month 01-12 (D5); far dates that cannot be computed with are
refused with a stable code."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem
from tests.dibao.helpers import (
    approved_case,
    decide,
    get_case,
    household,
    ready_case,
    set_standard,
)


@pytest.mark.parametrize("start_month", ["0000-01", "0001-01", "1899-12", "2100-01", "2016-00",
                                         "2016-13", "16-05", "2016-5"])
async def test_a_start_month_outside_1900_2099_or_not_a_month_is_422(client, admin, start_month):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    case = await ready_case(client, admin, h["id"])
    r = await decide(client, admin, case["id"], start_month=start_month)
    body = assert_problem(r, 422, "request.validation")
    assert body["errors"][0]["loc"] == ["body", "start_month"]


async def test_a_start_month_in_range_is_accepted(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    case = await ready_case(client, admin, h["id"])
    r = await decide(client, admin, case["id"], start_month="2016-06")
    assert r.status_code == 200, r.text
    assert r.json()["start_month"] == "2016-06-01"


@pytest.mark.parametrize("effective_from", ["9999-12-15", "2100-01-01", "1899-12-31"])
async def test_a_standard_outside_1900_2099_is_422_not_500(client, admin, effective_from):
    # With an active grant the new standard is applied from the month on or after it (D7):
    # 9999-12-15 has no such month.
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    await approved_case(client, admin, h["id"])
    r = await client.post("/api/v1/dibao/standards", headers=admin, json={
        "region_code": "321283000000", "effective_from": effective_from, "amount": "600.00"})
    body = assert_problem(r, 422, "request.validation")
    assert body["errors"][0]["loc"] == ["body", "effective_from"]


async def test_reading_a_grant_on_the_last_day_of_the_calendar_answers(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin)
    case = await approved_case(client, admin, h["id"])
    out = await get_case(client, admin, case["id"], "2099-12-31")
    assert out["monthly_benefit"] == "500.00"
    r = await client.get("/api/v1/dibao/grants", headers=admin,
                         params={"active_on": "2099-12-31"})
    assert [g["case_id"] for g in r.json()["items"]] == [case["id"]]
    # Past the calendar (9999-12-31 included) is a clear 422, never a 500.
    for url, key in ((f"/api/v1/dibao/cases/{case['id']}", "as_of"),
                     ("/api/v1/dibao/grants", "active_on")):
        r = await client.get(url, headers=admin, params={key: "9999-12-31"})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "date.out_of_range"
