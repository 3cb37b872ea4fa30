"""Villages, village incomes, members and assessments files; the XLSX export."""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.models.households import HouseholdAssessment, HouseholdMember
from app.models.regions import Region
from app.models.villages import VillageIncome
from tests.imports.helpers import (
    HEADER_EN,
    VILLAGE,
    csv_bytes,
    errors_of,
    household_rows,
    import_file,
    make_village,
    valid_id,
)


async def test_villages_file_creates_towns_and_villages_and_refuses_existing_ones(
        client, app, db, admin, session):
    await make_village(client, admin)  # 321283100201 exists already
    content = csv_bytes(["村代碼", "村名", "鎮代碼", "鎮名"], [
        ["321283100202", "新村", "321283100000", ""],
        ["321202001201", "东村", "321202001000", "城东街道"],
        ["321283100201", "老村", "321283100000", ""],
        ["321283100202", "新村", "321283100000", ""]])
    job = await import_file(client, app, db, admin, content, kind="villages", on_error="skip")
    assert job["written"] == {"towns": 1, "villages": 2}
    assert await errors_of(client, admin, job["id"]) == [
        (4, "village_code", "region.exists"), (5, "village_code", "import.village.repeated")]
    town = await session.get(Region, "321202001000")
    assert (town.level, town.name) == ("town", "城东街道")


async def test_village_incomes_record_versions_and_unchanged_amounts(client, app, db, admin, session):
    await make_village(client, admin)
    header = ["village_code", "assessment_year", "collective_income"]
    first = await import_file(client, app, db, admin, csv_bytes(header, [[VILLAGE, "2016", "300000"]]),
                              kind="village_incomes")
    assert first["written"] == {"village_incomes": 1, "unchanged": 0}
    second = await import_file(client, app, db, admin, csv_bytes(header, [
        [VILLAGE, "2016", "300,000.00"], [VILLAGE, "2017", "400000"], ["321283999999", "2017", "1"],
        [VILLAGE, "2018", "很多"]]), kind="village_incomes", on_error="skip")
    assert second["written"] == {"village_incomes": 1, "unchanged": 1}
    assert await errors_of(client, admin, second["id"]) == [
        (4, "village_code", "village.not_found"), (5, "collective_income", "field.decimal_parsing")]
    rows = (await session.scalars(select(VillageIncome).order_by(VillageIncome.year))).all()
    assert [(r.year, str(r.collective_income), r.version) for r in rows] == [
        (2016, "300000.00", 1), (2017, "400000.00", 1)]


async def test_members_and_assessments_join_households_named_by_their_head(
        client, app, db, admin, session):
    await make_village(client, admin)
    rows = household_rows("H1", 10)
    await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    head = rows[0][9]
    child = valid_id("20100101", 31)  # odd sequence: a boy
    members = await import_file(client, app, db, admin, csv_bytes(
        ["户主身份证号", "姓名", "身份证号", "与户主关系", "劳动能力", "健康状况", "入户日期"],
        [[head, "王小明", child, "子", "无劳动力", "健康", "2017-05-01"],
         [head, "王二", head, "02", "ordinary", "healthy", "2017-05-01"]]), kind="members",
        on_error="skip")
    assert members["written"] == {"members": 1}
    assert await errors_of(client, admin, members["id"]) == [
        (3, "id_number", "member.id_number_taken"), (3, "relation", "household.head_exists")]
    added = await session.scalar(select(HouseholdMember).where(HouseholdMember.name == "王小明"))
    assert (added.relation, str(added.joined_on), added.sex) == ("20", "2017-05-01", "male")

    assessments = await import_file(client, app, db, admin, csv_bytes(
        ["head_id_number", "year", "wage_income", "transfer_income"],
        [[head, "2017", "20000", "1000"], [head, "2017", "21000", "1000"]]), kind="assessments")
    assert assessments["written"] == {"assessments": 2}
    rows = (await session.scalars(select(HouseholdAssessment).where(HouseholdAssessment.year == 2017)
                                  .order_by(HouseholdAssessment.version))).all()
    # R8: the second row of a year is its next version; persons = the 3 members on 31 December
    assert [(r.version, str(r.net_income), r.persons) for r in rows] == [
        (1, "21000.00", 3), (2, "22000.00", 3)]


async def test_households_export_as_xlsx_masks_id_numbers(client, app, db, admin, make_user):
    await make_village(client, admin)
    rows = household_rows("H1", 10)
    await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    officer = await make_user("district_officer", "321283000000")
    r = await client.get("/api/v1/exports/households?region_code=321283&format=xlsx", headers=officer)
    assert r.status_code == 200, r.text
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert sheet[0][:2] == ["household_key", "village_code"]
    numbers = {row[14] for row in sheet[1:]}
    assert numbers == {rows[0][9][:6] + "********" + rows[0][9][-4:],
                       rows[1][9][:6] + "********" + rows[1][9][-4:]}
    other = await make_user("district_officer", "321202000000")
    r = await client.get("/api/v1/exports/households?region_code=321283", headers=other)
    assert r.status_code == 404
