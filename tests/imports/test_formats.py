"""Every format and encoding of a households file, English or Chinese headers."""

from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from app.imports.reader import iter_rows
from app.models.households import Household, HouseholdAssessment, HouseholdMember
from tests.conftest import assert_problem
from tests.imports.helpers import (
    HEADER_EN,
    HEADER_ZH,
    csv_bytes,
    household_rows,
    import_file,
    jsonl_bytes,
    make_village,
    upload,
    xlsx_bytes,
)


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


def _rows(chinese: bool = False) -> list[list[str]]:
    return household_rows("H1", 10, chinese=chinese) + household_rows("H2", 20, chinese=chinese)


@pytest.mark.parametrize(("encoding", "expected", "chinese"), [
    ("utf-8", "utf-8", False),
    ("utf-8-sig", "utf-8-sig", True),
    ("gb18030", "gb18030", True),
])
async def test_csv_in_utf8_bom_and_gb18030_imports_every_household(
        client, app, db, admin, session, encoding, expected, chinese):
    await make_village(client, admin)
    header = HEADER_ZH if chinese else HEADER_EN
    if encoding == "gb18030":  # GB18030 files come from simplified-character systems
        header = ["户编号", "村代码", "组", "建档日期", "主要致贫原因", "收入年度", "工资性收入",
                  "转移性收入", "姓名", "身份证号", "与户主关系", "劳动能力", "健康状况"]
    job = await import_file(client, app, db, admin, csv_bytes(header, _rows(chinese), encoding))
    assert job["state"] == "succeeded", (job["error"], job["progress"])
    assert job["encoding"] == expected
    assert job["progress"] == {"rows_read": 4, "rows_valid": 4, "rows_rejected": 0}
    assert job["written"] == {"households": 2, "members": 4, "assessments": 2, "decisions": 2}
    assert await _count(session, Household) == 2
    assert await _count(session, HouseholdMember) == 4
    names = set((await session.scalars(select(HouseholdMember.name))).all())
    assert names == ({"王建國", "李秀英"} if chinese else {"Wang Jianguo", "Li Xiuying"})
    relations = sorted((await session.scalars(select(HouseholdMember.relation))).all())
    assert relations == ["02", "02", "10", "10"]
    nets = set((await session.scalars(select(HouseholdAssessment.net_income))).all())
    assert {str(n) for n in nets} == {"12000.00"}


async def test_xlsx_with_chinese_headers_and_numeric_cells_imports(client, app, db, admin, session):
    await make_village(client, admin)
    rows = _rows(chinese=True)
    for r in rows:  # a spreadsheet keeps codes, years and incomes as numbers
        r[1], r[5], r[6], r[7] = int(r[1]), int(r[5]), float(r[6]), 3000
    job = await import_file(client, app, db, admin, xlsx_bytes(HEADER_ZH, rows),
                            name="register.xlsx")
    assert job["state"] == "succeeded", (job["error"], job["progress"])
    assert job["file_format"] == "xlsx"
    assert job["written"]["members"] == 4
    assert await _count(session, HouseholdMember) == 4


async def test_jsonl_imports_with_lines_counted_from_one(client, app, db, admin, session):
    await make_village(client, admin)
    rows = _rows()
    rows[3][9] = rows[3][9][:-1] + ("0" if rows[3][9][-1] != "0" else "1")
    job = await import_file(client, app, db, admin, jsonl_bytes(HEADER_EN, rows),
                            name="register.jsonl", on_error="skip")
    assert job["file_format"] == "jsonl"
    assert job["state"] == "succeeded"
    assert job["written"] == {"households": 1, "members": 2, "assessments": 1, "decisions": 1}
    r = await client.get(f"/api/v1/imports/{job['id']}/errors", headers=admin)
    items = r.json()["items"]
    assert [(e["line"], e["field"], e["code"]) for e in items] == [
        (3, None, "import.unit_rejected"), (4, "id_number", "id_number.check_digit")]
    assert "*" in items[1]["value"]


async def test_a_csv_field_over_the_limit_fails_the_file_with_its_own_code_and_line(
        client, app, db, admin):
    await make_village(client, admin)
    rows = household_rows("H1", 10) + household_rows("H2", 20)
    rows[2][8] = "x" * (128 * 1024 + 1)  # line 4 (the header is line 1)
    job = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert job["state"] == "failed"
    assert job["error"]["code"] == "import.file.field_too_large", job
    assert "line 4" in job["error"]["detail"]


async def test_an_open_quote_swallowing_the_file_is_a_file_error_not_an_internal_one(
        client, app, db, admin):
    await make_village(client, admin)
    body = csv_bytes(HEADER_EN, household_rows("H1", 10)) + b'H9,"unclosed\n' + b"y" * 200_000
    job = await import_file(client, app, db, admin, body)
    assert job["error"]["code"] == "import.file.field_too_large", job
    assert "line 4" in job["error"]["detail"]


class _CountingFile(io.RawIOBase):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        self.read_bytes += n
        return n


def test_an_xlsx_sheet_is_read_as_a_stream_not_loaded_whole():
    import random

    rnd = random.Random(3)
    data = xlsx_bytes(["a", "b", "c", "d"],
                      [[rnd.random(), rnd.random(), rnd.random(), i] for i in range(40_000)])
    f = _CountingFile(data)
    rows = iter_rows(f, "xlsx", None)
    line, first = next(rows)
    assert line == 2 and first["d"] == "0"
    # The first row came after a small part of the workbook was read: the sheet streams.
    assert f.read_bytes < len(data) // 4, (f.read_bytes, len(data))
    assert sum(1 for _ in rows) == 39_999


async def test_an_xlsx_over_the_size_limit_is_refused_with_its_own_code(client, app, admin):
    app.state.settings = app.state.settings.model_copy(update={"import_xlsx_max_mb": 1})
    big = b"PK\x03\x04" + os.urandom(1024 * 1024)
    r = await upload(client, admin, big, name="register.xlsx")
    body = assert_problem(r, 413, "import.file.too_large")
    assert "1 MB" in body["detail"]
    assert (await client.get("/api/v1/imports", headers=admin)).json()["items"] == []
    small = await upload(client, admin, xlsx_bytes(HEADER_EN, household_rows("H1", 10)),
                         name="register.xlsx")
    assert small.status_code == 202, small.text
