"""The households export: cells are text (never a formula), status and as_of, removed
households only when asked for, the Chinese headers of `lang=zh` that import again."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from python_calamine import CalamineWorkbook

from app.kit import cells
from tests.imports.helpers import (
    HEADER_EN,
    csv_bytes,
    household_rows,
    import_file,
    make_village,
    valid_id,
)

EVIL = '=HYPERLINK("http://evil","x")'
URL = "/api/v1/exports/households"


def _table(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def _household(client, app, db, admin, key: str, seq: int, name: str | None = None):
    rows = household_rows(key, seq)
    if name is not None:
        rows[0][8] = name
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert job["state"] == "succeeded", job
    return rows


def test_csv_cells_starting_with_a_formula_character_are_quoted():
    for value in (EVIL, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert cells.csv_cell(value) == "'" + value
        assert cells.unescape(cells.csv_cell(value)) == value
    # numbers (a negative income) and plain text are left alone, so an export imports again
    for value in ("-1200.50", "-3", "王建國", "", "2016-03-01", "it's"):
        assert cells.csv_cell(value) == value
        assert cells.unescape(value) == value


async def test_export_writes_a_formula_name_as_text_in_xlsx_and_csv(client, app, db, admin):
    await make_village(client, admin)
    await _household(client, app, db, admin, "H1", 10, name=EVIL)

    r = await client.get(f"{URL}?format=xlsx", headers=admin)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "HYPERLINK" in sheet
    # every cell is a string cell (t="s" shared or t="inlineStr"/"str" inline), never a number
    kinds = set(re.findall(r'<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?(?: t="(\w+)")?', sheet))
    assert kinds <= {"s", "inlineStr"}, kinds
    values = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert EVIL in {row[13] for row in values[1:]}

    r = await client.get(URL, headers=admin)
    names = {row["name"] for row in _table(r.content)}
    assert "'" + EVIL in names and EVIL not in names


async def test_import_error_report_csv_quotes_a_formula_value(client, app, db, admin):
    await make_village(client, admin)
    rows = household_rows("H1", 10)
    rows[1][11] = "=1+2"  # a labour capacity that is a formula: rejected, its value reported
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows), on_error="skip")
    r = await client.get(f"/api/v1/imports/{job['id']}/errors",
                         headers={**admin, "Accept": "text/csv"})
    assert r.status_code == 200, r.text
    values = [row["value"] for row in _table(r.content)]
    assert "'=1+2" in values and "=1+2" not in values


async def _remove(client, admin, household_id: str, on: str = "2017-06-01"):
    r = await client.post(f"/api/v1/households/{household_id}/remove", headers=admin,
                          json={"date": on, "reason": "wrongly_identified"})
    assert r.status_code == 201, r.text


async def _ids(client, admin, query: str = "") -> dict[str, str]:
    r = await client.get(f"{URL}?{query}", headers=admin)
    assert r.status_code == 200, r.text
    return {row["household_key"]: row["status"] for row in _table(r.content)}


async def test_export_has_a_status_column_and_leaves_removed_households_out(client, app, db, admin):
    await make_village(client, admin)
    await _household(client, app, db, admin, "H1", 10)
    await _household(client, app, db, admin, "H2", 20)
    listed = (await client.get("/api/v1/households", headers=admin)).json()["items"]
    kept, gone = sorted(h["id"] for h in listed)
    await _remove(client, admin, gone)

    assert await _ids(client, admin) == {kept: "registered"}
    assert await _ids(client, admin, "include_removed=true") == {
        kept: "registered", gone: "removed"}
    assert await _ids(client, admin, "status=removed") == {gone: "removed"}
    assert await _ids(client, admin, "status=registered&include_removed=true") == {
        kept: "registered"}
    # as of the day before the removal, both were registered; the day of it, one is removed
    assert await _ids(client, admin, "as_of=2017-05-31") == {kept: "registered", gone: "registered"}
    assert await _ids(client, admin, "as_of=2017-06-01") == {kept: "registered"}
    # before their registration (2016-03-01), no household existed yet
    assert await _ids(client, admin, "as_of=2016-02-29") == {}
    r = await client.get(f"{URL}?status=gone", headers=admin)
    assert r.status_code == 422


async def test_export_as_of_lists_the_members_of_that_date(client, app, db, admin):
    await make_village(client, admin)
    await _household(client, app, db, admin, "H1", 10)
    hh = (await client.get("/api/v1/households", headers=admin)).json()["items"][0]
    full = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).json()
    wife = next(m for m in full["members"] if m["relation"] == "10")
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{wife['id']}/leave",
                          headers={**admin, "If-Match": f'"{full["version"]}"'},
                          json={"left_on": "2018-01-01", "reason": "married_out"})
    assert r.status_code in (200, 201), r.text
    before = _table((await client.get(f"{URL}?as_of=2017-12-31", headers=admin)).content)
    after = _table((await client.get(f"{URL}?as_of=2018-01-01", headers=admin)).content)
    assert len(before) == 2 and len(after) == 1


async def test_a_lang_zh_export_has_the_national_headers_and_imports_again(
        client, app, db, admin):
    await make_village(client, admin)
    await _household(client, app, db, admin, "H1", 10, name="-王")
    r = await client.get(f"{URL}?lang=zh", headers=admin)  # admin: ID numbers unmasked
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["户编号", "村代码", "组"] and "身份证号" in header and "姓名" in header
    assert header[-1] == "状态"
    # The same people imported as another household (new key and ID numbers, in the file as
    # exported otherwise): every column of the Chinese export is read back.
    table = list(csv.reader(io.StringIO(text)))
    at = header.index("身份证号")
    for n, row in enumerate(table[1:]):
        row[0], row[at] = "H9", valid_id("19700101", 300 + n)
    out = io.StringIO()
    csv.writer(out).writerows(table)
    job = await import_file(client, app, db, admin, out.getvalue().encode("utf-8-sig"))
    assert job["state"] == "succeeded", job
    assert job["written"] == {"members": 2, "households": 1, "assessments": 1, "decisions": 1}, job
    again = _table((await client.get(URL, headers=admin)).content)
    by_key: dict[str, list[tuple]] = {}
    for row in again:
        by_key.setdefault(row["household_key"], []).append(
            tuple(v for k, v in row.items() if k not in ("household_key", "id_number")))
    first, second = by_key.values()
    assert sorted(first) == sorted(second)  # names, relations, incomes, attributes, status
    # the quote that kept "-王" from being a formula in the file is not part of the name
    for item in (await client.get("/api/v1/households", headers=admin)).json()["items"]:
        got = (await client.get(f"/api/v1/households/{item['id']}", headers=admin)).json()
        assert {m["name"] for m in got["members"]} == {"-王", "Li Xiuying"}


async def test_a_lang_zh_xlsx_export_reads_back_with_every_header_known(client, app, db, admin):
    await make_village(client, admin)
    await _household(client, app, db, admin, "H1", 10)
    r = await client.get(f"{URL}?lang=zh&format=xlsx", headers=admin)
    assert r.status_code == 200, r.text
    # imported again as it is: only the people's ID numbers are refused (they are taken)
    job = await import_file(client, app, db, admin, r.content, name="export.xlsx",
                            on_error="skip")
    assert job["progress"] == {"rows_read": 2, "rows_valid": 0, "rows_rejected": 2}, job
    report = (await client.get(f"/api/v1/imports/{job['id']}/errors", headers=admin)).json()
    assert {e["field"] for e in report["items"]} == {"id_number"}, report
