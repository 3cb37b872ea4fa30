"""The calendar the system accepts: YYYY-MM-DD only, 1900-01-01..2099-12-31, and not after today
for a fact that has happened — in bodies, query parameters and imported files alike."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from app.kit.dates import date_problem, today
from app.kit.schemas import Day, PastDay
from tests.conftest import assert_problem
from tests.households.factories import household_body, make_village, register_household
from tests.imports.helpers import HEADER_EN, csv_bytes, errors_of, household_rows, import_file
from tests.pairings.factories import make_person, pair

D = date.fromisoformat
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(("value", "past_event", "code"), [
    (D("1899-12-31"), False, "date.out_of_range"),
    (D("1900-01-01"), False, None),
    (D("2099-12-31"), False, None),
    (D("2100-01-01"), False, "date.out_of_range"),
    (D("0001-01-01"), False, "date.out_of_range"),
    (D("9999-12-31"), False, "date.out_of_range"),
    (TODAY, True, None),
    (TODAY + timedelta(days=1), True, "date.in_future"),
    (TODAY + timedelta(days=1), False, None),
    (D("1900-01-01"), True, None),
    (D("1899-12-31"), True, "date.out_of_range"),
    (D("2100-01-01"), True, "date.out_of_range"),
])
def test_the_date_rule_at_its_edges(value, past_event, code):
    got = date_problem(value, past_event=past_event, on=TODAY)
    assert (got[0] if got else None) == code


def _code(adapter: TypeAdapter, value) -> str | None:
    try:
        adapter.validate_python(value)
    except ValidationError as e:
        return e.errors()[0]["type"]
    return None


@pytest.mark.parametrize(("value", "code"), [
    ("2016-03-01", None), (date(2016, 3, 1), None),
    (0, "date.format"), (0.5, "date.format"), ("0", "date.format"), ("0.5", "date.format"),
    ("1700000000", "date.format"), ("2016-3-1", "date.format"), ("20160301", "date.format"),
    ("2016-03-01T00:00:00", "date.format"), ("2016-02-30", "date.invalid"),
    ("2016-02-29", None), ("2015-02-29", "date.invalid"),
])
def test_a_date_is_written_yyyy_mm_dd_and_nothing_else(value, code):
    assert _code(TypeAdapter(Day), value) == code


def test_a_past_event_may_be_today_but_not_tomorrow():
    adapter = TypeAdapter(PastDay)
    assert _code(adapter, today().isoformat()) is None
    assert _code(adapter, (today() + timedelta(days=1)).isoformat()) == "date.in_future"
    assert _code(TypeAdapter(Day), (today() + timedelta(days=1)).isoformat()) is None


def _field_codes(r) -> list[str]:
    body = assert_problem(r, 422, "request.validation")
    return [e["code"] for e in body["errors"]]


@pytest.mark.parametrize("as_of", ["0", "0.5", "1700000000", "2016-3-1"])
async def test_query_dates_are_not_read_as_unix_times(client, admin, as_of):
    for url in ("/api/v1/households", "/api/v1/reports/summary", "/api/v1/pairings"):
        key = "active_on" if url.endswith("pairings") else "as_of"
        r = await client.get(url, headers=admin, params={key: as_of})
        assert _field_codes(r) == ["date.format"], (url, r.text)


@pytest.mark.parametrize(("as_of", "status"), [
    ("1899-12-31", 422), ("1900-01-01", 200), ("2099-12-31", 200), ("2100-01-01", 422)])
async def test_query_dates_are_bounded(client, admin, as_of, status):
    r = await client.get("/api/v1/households", headers=admin, params={"as_of": as_of})
    assert r.status_code == status, r.text
    if status == 422:
        assert _field_codes(r) == ["date.out_of_range"]


async def test_a_registration_dated_tomorrow_is_refused_and_today_is_accepted(client, admin, db):
    await make_village(client, admin)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    r = await client.post("/api/v1/households", headers=admin,
                          json=household_body(registered_on=tomorrow))
    assert _field_codes(r) == ["date.in_future"]
    assert (await client.get("/api/v1/households", headers=admin)).json()["items"] == []
    r = await client.post("/api/v1/households", headers=admin,
                          json=household_body(registered_on="1899-12-31"))
    assert _field_codes(r) == ["date.out_of_range"]
    await register_household(client, admin, registered_on=today().isoformat(), make=False)


@pytest.mark.parametrize(("day", "code"), [
    ("0001-01-01", "date.out_of_range"), ("9999-12-31", "date.out_of_range"),
    ("1899-12-31", "date.out_of_range"), ("tomorrow", "date.in_future"), ("today", None),
    ("1900-01-01", None)])
async def test_a_visit_is_dated_in_the_calendar_and_not_after_today(client, admin, day, code):
    hh = await register_household(client, admin, registered_on="2016-03-01")
    on = {"today": today(), "tomorrow": today() + timedelta(days=1)}.get(day)
    url = f"/api/v1/households/{hh['id']}/visits"
    r = await client.post(url, headers=admin,
                          json={"date": on.isoformat() if on else day, "notes": "checked the geese"})
    if code is None:
        assert r.status_code == 201, r.text
    else:
        assert _field_codes(r) == [code]
        assert (await client.get(url, headers=admin)).json()["items"] == []


@pytest.mark.parametrize(("start", "code"), [
    ("9999-12-31", "date.out_of_range"), ("2100-01-01", "date.out_of_range"),
    ("2099-12-31", None)])
async def test_a_pairing_starts_inside_the_calendar(client, admin, start, code):
    hh = await register_household(client, admin, registered_on="2016-03-01")
    helper = await make_person(client, admin)
    r = await pair(client, admin, helper["id"], "household_cadre", start,
                   household_id=hh["id"])
    if code is None:
        assert r.status_code == 201, r.text
    else:
        assert _field_codes(r) == [code]


async def test_the_importer_refuses_the_same_dates_with_the_same_codes(client, app, db, admin):
    await make_village(client, admin)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    rows = (household_rows("H1", 10) + household_rows("H2", 20) + household_rows("H3", 30)
            + household_rows("H4", 40))
    for i in (0, 1):
        rows[i][3] = tomorrow          # H1, lines 2-3
    for i in (2, 3):
        rows[i][3] = "1899-12-31"      # H2, lines 4-5
    for i in (4, 5):
        rows[i][3] = "0"               # H3, lines 6-7
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows), on_error="skip")
    assert job["state"] == "succeeded" and job["written"]["households"] == 1, job
    got = {(line, field, code) for line, field, code in await errors_of(client, admin, job["id"])}
    assert (2, "registered_on", "date.in_future") in got
    assert (4, "registered_on", "date.out_of_range") in got
    assert (6, "registered_on", "date.format") in got
