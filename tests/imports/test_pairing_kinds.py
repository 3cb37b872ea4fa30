"""Helpers and pairings imports: the API's rules per row (GB 11643 and the keyed hash, USCC,
P1-P4 within the file and against the registry), line/field/code for every bad row."""

from __future__ import annotations

from sqlalchemy import func, select

from app import pii
from app.models.oversight import AuditLog, Event
from app.models.pairings import Helper, Pairing
from tests.imports.helpers import (
    HEADER_EN,
    VILLAGE,
    bad_check_digit,
    csv_bytes,
    errors_of,
    household_rows,
    import_file,
    make_village,
    valid_id,
)

USCC = "91321283MA1X2Y3Q4G"
USCC_2 = "91321283MA1N2Y3P4D"
TOWN = VILLAGE[:9] + "000"
CADRE_A = valid_id("19750101", 501)
CADRE_B = valid_id("19800202", 503)
HELPER_HEADER = ["類型", "姓名", "單位", "職務", "電話", "身份證號", "單位類型", "統一社會信用代碼"]
PAIRING_HEADER = ["帮扶人身份证号", "帮扶单位信用代码", "帮扶类型", "户主身份证号", "区划代码",
                  "开始日期", "结束日期"]


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def _registry(client, app, db, admin) -> tuple[str, str]:
    """A village, two households (heads answered), three helpers: two cadres and an enterprise."""
    await make_village(client, admin)
    h1, h2 = household_rows("H1", 10), household_rows("H2", 20)
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, h1 + h2))
    assert job["state"] == "succeeded", job
    helpers = [["干部", "周明", "泰兴市农业农村局", "科长", "0523-87654321", CADRE_A, "", ""],
               ["個人", "吴芳", "泰兴市财政局", "", "", CADRE_B, "", ""],
               ["單位", "泰兴某某有限公司", "", "", "", "", "企业", USCC]]
    job = await import_file(client, app, db, admin, csv_bytes(HELPER_HEADER, helpers),
                            kind="helpers")
    assert (job["state"], job["written"]) == ("succeeded", {"helpers": 3}), (
        job, await errors_of(client, admin, job["id"]))
    return h1[0][9], h2[0][9]


async def test_helpers_import_with_chinese_headers_encrypts_and_hashes_numbers(
        client, app, db, admin, session):
    await _registry(client, app, db, admin)
    person = await session.scalar(select(Helper).where(Helper.name == "周明"))
    assert (person.kind, person.unit, person.post, person.region_code) == (
        "person", "泰兴市农业农村局", "科长", "321200000000")
    settings = app.state.settings
    assert bytes(person.id_hash) == pii.id_hash(settings, CADRE_A)
    assert pii.decrypt(settings, bytes(person.id_number_enc)) == CADRE_A
    unit = await session.scalar(select(Helper).where(Helper.kind == "unit"))
    assert (unit.unit_kind, unit.uscc, unit.id_hash) == ("enterprise", USCC, None)
    actions = (await session.scalars(select(AuditLog.action).where(
        AuditLog.action == "helper.create"))).all()
    assert len(actions) == 3
    assert await session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "helper.created")) == 3


async def test_bad_helper_rows_give_line_field_and_code(client, app, db, admin, session):
    await _registry(client, app, db, admin)
    rows = [["个人", "郑一", "某局", "", "", valid_id("19850101", 601), "", ""],        # 2 good
            ["个人", "郑二", "某局", "", "", bad_check_digit(valid_id("19850101", 603)), "", ""],
            ["单位", "某公司", "", "", "", "", "企业", ""],                              # 4
            ["单位", "某公司二", "", "", "", "", "企业", USCC_2[:-1] + "M"],             # 5
            ["个人", "郑三", "某局", "", "", valid_id("19850101", 601), "", ""],        # 6
            ["个人", "郑四", "某局", "", "", CADRE_A, "", ""],                          # 7
            ["个人", "郑五", "某局", "", "电话号码", valid_id("19850101", 605), "", ""],  # 8
            ["志愿者", "郑六", "", "", "", "", "", ""],                                  # 9
            ["单位", "同一公司", "", "", "", "", "企业", USCC]]                          # 10
    job = await import_file(client, app, db, admin, csv_bytes(HELPER_HEADER, rows), kind="helpers")
    assert job["state"] == "failed" and job["error"]["code"] == "import.rows_rejected"
    assert job["progress"] == {"rows_read": 9, "rows_valid": 1, "rows_rejected": 8}
    assert await errors_of(client, admin, job["id"]) == [
        (3, "id_number", "id_number.check_digit"),
        (4, "uscc", "helper.uscc.required"),
        (5, "uscc", "helper.uscc.invalid"),
        (6, "id_number", "import.helper.repeated"),
        (7, "id_number", "helper.exists"),
        (8, "phone", "field.string_pattern_mismatch"),
        (9, "kind", "field.union_tag_invalid"),
        (10, "uscc", "helper.exists")]
    assert await _count(session, Helper) == 3  # all or nothing


async def test_pairings_import_with_p1_p4_reasons_audit_and_events(client, app, db, admin,
                                                                   session):
    head1, _ = await _registry(client, app, db, admin)
    rows = [[CADRE_A, "", "结对帮扶", head1, "", "2016-03-01", ""],
            ["", USCC, "挂钩帮扶村", "", VILLAGE, "2016/1/1", "2018-12-31"],
            [CADRE_B, "", "town_unit", "", TOWN, "20160101", ""]]
    job = await import_file(client, app, db, admin, csv_bytes(PAIRING_HEADER, rows),
                            kind="pairings")
    assert (job["state"], job["written"]) == ("succeeded", {"pairings": 3}), job
    pairings = (await session.scalars(select(Pairing).order_by(Pairing.kind))).all()
    assert [(p.kind, p.scope_code, str(p.start_date), p.end_date) for p in pairings] == [
        ("household_cadre", VILLAGE, "2016-03-01", None),
        ("town_unit", TOWN, "2016-01-01", None),
        ("village_unit", VILLAGE, "2016-01-01", pairings[2].end_date)]
    cadre = await session.scalar(select(AuditLog.after).where(
        AuditLog.action == "pairing.create", AuditLog.entity_id == str(pairings[0].id)))
    assert [r["rule"] for r in cadre["reasons"]] == ["P3", "§7", "P4", "P1"]
    assert cadre["household_id"] == str(pairings[0].household_id)
    assert await session.scalar(select(func.count()).select_from(Event).where(
        Event.type == "pairing.created")) == 3


async def test_bad_pairing_rows_give_line_field_and_code(client, app, db, admin, session):
    head1, head2 = await _registry(client, app, db, admin)
    # In the registry: cadre A answers for H2 from 2016 on (open).
    first = await import_file(client, app, db, admin, csv_bytes(
        PAIRING_HEADER, [[CADRE_A, "", "household_cadre", head2, "", "2016-01-01", ""]]),
        kind="pairings")
    assert first["state"] == "succeeded", first
    # A helper who is the head of H1 (P4 compares keyed hashes).
    own = await import_file(client, app, db, admin, csv_bytes(
        HELPER_HEADER, [["个人", "王建国", "某局", "", "", head1, "", ""]]), kind="helpers")
    assert own["state"] == "succeeded", own
    rows = [[CADRE_A, "", "结对帮扶", head1, "", "2016-03-01", "2016-12-31"],  # 2 good
            [CADRE_B, "", "结对帮扶", head1, "", "2016-06-01", ""],            # 3 P1 in file
            [CADRE_B, "", "结对帮扶", head2, "", "2017-01-01", ""],            # 4 P1 registry
            [CADRE_B, "", "村挂钩", "", VILLAGE, "2017-01-01", "2016-01-01"],  # 5 P3
            [head1, "", "结对帮扶", head1, "", "2017-01-01", ""],              # 6 P4
            ["", USCC, "结对帮扶", head1, "", "2017-01-01", ""],               # 7 shape
            [CADRE_B, "", "第一书记", "", VILLAGE, "2017-01-01", ""],           # 8 P2
            [valid_id("19900101", 701), "", "结对帮扶", head1, "", "2017-01-01", ""],  # 9
            ["", USCC, "挂钩帮扶村", "", "321283100299", "2017-01-01", ""],     # 10
            [CADRE_B, "", "结对帮扶", bad_check_digit(head1), "", "2017-01-01", ""]]  # 11
    rows[3][2] = "village_unit"
    job = await import_file(client, app, db, admin, csv_bytes(PAIRING_HEADER, rows),
                            kind="pairings")
    assert job["state"] == "failed"
    assert job["progress"] == {"rows_read": 10, "rows_valid": 1, "rows_rejected": 9}
    assert await errors_of(client, admin, job["id"]) == [
        (3, "start_date", "pairing.household_cadre.overlap"),
        (4, "start_date", "pairing.household_cadre.overlap"),
        (5, "end_date", "pairing.period.end_before_start"),
        (6, "helper_id", "pairing.household_cadre.own_household"),
        (7, "helper_id", "pairing.helper_kind.not_allowed"),
        (8, "region_code", "pairing.first_secretary.village_not_weak"),
        (9, "helper_id_number", "helper.not_found"),
        (10, "region_code", "village.not_found"),
        (11, "head_id_number", "id_number.check_digit")]
    assert await _count(session, Pairing) == 1  # only the registry's: all or nothing
    # Skip mode keeps the good row, and its period now counts for the next file (P1).
    skip = await import_file(client, app, db, admin, csv_bytes(PAIRING_HEADER, rows),
                             kind="pairings", on_error="skip")
    assert skip["written"] == {"pairings": 1}
    again = await import_file(client, app, db, admin, csv_bytes(PAIRING_HEADER, [
        [CADRE_B, "", "结对帮扶", head1, "", "2016-12-31", ""]]), kind="pairings")
    assert await errors_of(client, admin, again["id"]) == [
        (2, "start_date", "pairing.household_cadre.overlap")]


async def test_an_imported_pairing_outside_the_first_secretary_account_region_is_refused(
        client, app, db, admin, session, make_user):
    """(十八) as POST /pairings: the import refuses it with the same code."""
    await _registry(client, app, db, admin)
    helper = await session.scalar(select(Helper).where(Helper.name == "吴芳"))
    await make_user("first_secretary", "321281000000", helper_id=helper.id)
    job = await import_file(client, app, db, admin, csv_bytes(
        PAIRING_HEADER, [[CADRE_B, "", "第一书记", "", VILLAGE, "2017-01-01", ""]]),
        kind="pairings")
    assert job["state"] == "failed"
    assert (2, "region_code", "pairing.outside_user_region") in await errors_of(
        client, admin, job["id"])
