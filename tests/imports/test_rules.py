"""Bad rows with their line, field and code; all or nothing; skip mode; dry runs; re-sent files."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models.households import Household, HouseholdMember
from app.models.oversight import AuditLog, Event
from tests.conftest import assert_problem
from tests.imports.helpers import (
    HEADER_EN,
    bad_check_digit,
    csv_bytes,
    errors_of,
    household_rows,
    import_file,
    make_village,
    run,
    upload,
)


async def _households(session) -> int:
    return await session.scalar(select(func.count()).select_from(Household))


def _bad_file(registered_number: str) -> list[list[str]]:
    """Lines 2-3 good (H1); 4-5 wrong check digit (H2); 6-7 unknown village (H3); 8-9 income not a
    number (H4); 10-11 a number already on line 2 (H5); 12-13 a number in the registry (H6)."""
    h1 = household_rows("H1", 10)
    h2 = household_rows("H2", 20)
    h2[0][9] = bad_check_digit(h2[0][9])
    h3 = household_rows("H3", 30, village="321283999999")
    h4 = household_rows("H4", 40, wage="九千")
    h5 = household_rows("H5", 50)
    h5[1][9] = h1[0][9]
    h6 = household_rows("H6", 60)
    h6[0][9] = registered_number
    return h1 + h2 + h3 + h4 + h5 + h6


async def _registered(client, app, db, admin) -> str:
    rows = household_rows("R1", 900)
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert job["state"] == "succeeded"
    return rows[0][9]


async def test_bad_rows_are_reported_with_line_field_and_code_and_nothing_is_imported(
        client, app, db, admin, session):
    await make_village(client, admin)
    taken = await _registered(client, app, db, admin)
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, _bad_file(taken)))
    assert job["state"] == "failed"
    assert job["error"]["code"] == "import.rows_rejected"
    assert job["progress"] == {"rows_read": 12, "rows_valid": 2, "rows_rejected": 10}
    assert job["written"] == {}
    errors = await errors_of(client, admin, job["id"])
    assert (4, "id_number", "id_number.check_digit") in errors
    assert (5, None, "import.unit_rejected") in errors
    assert (6, "village_code", "household.village_unknown") in errors
    assert (8, "wage_income", "field.decimal_parsing") in errors
    assert (11, "id_number", "member.id_number_repeated") in errors
    assert (12, "id_number", "member.id_number_taken") in errors
    assert {e[0] for e in errors} == set(range(4, 14))
    assert await _households(session) == 1  # only the one registered before: all or nothing


async def test_skip_mode_imports_the_good_households_and_reports_the_bad(client, app, db, admin,
                                                                         session):
    await make_village(client, admin)
    taken = await _registered(client, app, db, admin)
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, _bad_file(taken)),
                            on_error="skip")
    assert job["state"] == "succeeded"
    assert job["written"] == {"households": 1, "members": 2, "assessments": 1, "decisions": 1}
    assert job["progress"]["rows_rejected"] == 10
    assert await _households(session) == 2
    events = (await session.scalars(select(Event.type).where(
        Event.type.in_(["household.registered", "import.completed"])))).all()
    # one per household registered (the earlier file's and this one's) and one per import
    assert sorted(events) == ["household.registered", "household.registered",
                              "import.completed", "import.completed"]
    audit = (await session.scalars(select(AuditLog.after).where(
        AuditLog.action == "import.completed").order_by(AuditLog.id))).all()
    assert audit[-1]["rows_rejected"] == 10 and audit[-1]["written"]["households"] == 1


async def test_one_bad_row_and_nothing_is_imported(client, app, db, admin, session):
    await make_village(client, admin)
    rows = household_rows("H1", 10) + household_rows("H2", 20)
    rows[2][6] = rows[3][6] = "abc"
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert job["state"] == "failed"
    assert await errors_of(client, admin, job["id"]) == [(4, "wage_income", "field.decimal_parsing"),
                                                         (5, None, "import.unit_rejected")]
    assert await _households(session) == 0


async def test_income_above_the_line_is_refused_by_r1(client, app, db, admin, session):
    await make_village(client, admin)
    rows = household_rows("H1", 10, wage="11000.02")  # 14000.02 for 2 persons > 7000 × 2
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    r = await client.get(f"/api/v1/imports/{job['id']}/errors", headers=admin)
    first = r.json()["items"][0]
    assert (first["line"], first["field"]) == (2, "assessment_year")
    assert first["message"].startswith("R1")
    assert await _households(session) == 0


async def test_dry_run_validates_and_writes_nothing(client, app, db, admin, session):
    await make_village(client, admin)
    content = csv_bytes(HEADER_EN, household_rows("H1", 10))
    job = await import_file(client, app, db, admin, content, dry_run=True)
    assert job["state"] == "succeeded" and job["dry_run"] is True
    assert job["progress"]["rows_valid"] == 2
    assert job["written"] == {}
    assert await _households(session) == 0
    assert await session.scalar(select(func.count()).select_from(HouseholdMember)) == 0
    # The same file imported for real after its dry run.
    real = await import_file(client, app, db, admin, content)
    assert real["state"] == "succeeded" and real["written"]["households"] == 1


async def test_a_resent_file_is_not_imported_twice(client, app, db, admin, session):
    await make_village(client, admin)
    content = csv_bytes(HEADER_EN, household_rows("H1", 10))
    first = await import_file(client, app, db, admin, content, name="a.csv")
    r = await upload(client, admin, content, name="renamed.csv")
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "import.already_imported"
    assert body["job_id"] == first["id"] and body["job"]["state"] == "succeeded"
    assert await _households(session) == 1


async def test_a_file_whose_import_failed_may_be_sent_again(client, app, db, admin, session):
    content = csv_bytes(HEADER_EN, household_rows("H1", 10))
    failed = await import_file(client, app, db, admin, content)  # the village does not exist yet
    assert failed["state"] == "failed"
    await make_village(client, admin)
    again = await import_file(client, app, db, admin, content)
    assert again["state"] == "succeeded" and again["id"] != failed["id"]


async def test_error_report_as_csv(client, app, db, admin):
    await make_village(client, admin)
    rows = household_rows("H1", 10)
    rows[0][9] = bad_check_digit(rows[0][9])
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    r = await client.get(f"/api/v1/imports/{job['id']}/errors", headers={**admin, "Accept": "text/csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "line,field,code,message,value"
    assert lines[1].startswith("2,id_number,id_number.check_digit,")
    assert lines[2].startswith("3,,import.unit_rejected,")


async def test_an_officer_imports_only_into_their_region(client, app, db, admin, make_user):
    await make_village(client, admin)
    other = await make_user("district_officer", "321202000000")
    r = await upload(client, other, csv_bytes(HEADER_EN, household_rows("H1", 10)))
    assert r.status_code == 202
    await run(app, db, r.json())
    job = (await client.get(f"/api/v1/imports/{r.json()['id']}", headers=other)).json()
    assert job["state"] == "failed"
    assert (2, "village_code", "household.village_unknown") in await errors_of(client, other, job["id"])
    # and the job of one district is not found from another
    mine = await make_user("district_officer", "321283000000")
    assert (await client.get(f"/api/v1/imports/{job['id']}", headers=mine)).status_code == 404


async def test_importing_needs_the_imports_scope(client, make_user):
    auditor = await make_user("auditor", "321200000000")
    r = await upload(client, auditor, b"x")
    assert_problem(r, 403, "auth.missing_scope")
