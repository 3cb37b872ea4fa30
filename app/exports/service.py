"""Households export: one row per current member with the household's columns and its latest
assessment, in the households import format (a file exported can be imported elsewhere).
Streamed from a server-side cursor; ID numbers masked unless the caller holds pii:read (then the
export is audited as a pii.read)."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import principal_prefix, region_prefix
from app.config import Settings
from app.errors import NotFound
from app.policy import ids

COLUMNS = ["household_key", "village_code", "group", "registered_on", "cause_main",
           "cause_others", "assessment_year", "wage_income", "business_income", "property_income",
           "transfer_income", "production_costs", "net_income", "name", "id_number", "relation",
           "labour_capacity", "health", "disability_category", "disability_grade", "in_school",
           "stable_nonfarm_employment", "tekun_since", "joined_on"]

_QUERY = text("""
    SELECT h.id, h.village_code, h.group_name, h.registered_on, h.cause_main, h.cause_others,
           a.year, a.wage_income, a.business_income, a.property_income, a.transfer_income,
           a.production_costs, a.net_income, m.name, m.id_number_enc, m.relation,
           v.labour_capacity, v.health, v.disability_category, v.disability_grade, v.in_school,
           v.stable_nonfarm_employment, v.tekun_since, m.joined_on
    FROM household h
    JOIN household_member m ON m.household_id = h.id AND m.left_on IS NULL
    LEFT JOIN LATERAL (SELECT * FROM member_attribute_version x WHERE x.member_id = m.id
                       ORDER BY x.effective_from DESC, x.id DESC LIMIT 1) v ON true
    LEFT JOIN LATERAL (SELECT * FROM household_assessment y WHERE y.household_id = h.id
                       ORDER BY y.assessed_on DESC, y.year DESC, y.version DESC LIMIT 1) a ON true
    WHERE h.village_code LIKE :prefix
    ORDER BY h.village_code, h.id, m.relation, m.id""")


def scope_prefix(principal: Principal, region_code: str | None) -> str:
    """The prefix exported: the requested region, which must lie within the caller's."""
    mine = principal_prefix(principal)
    if mine is None:
        raise NotFound("region.not_found", "No such region.")
    if not region_code:
        return mine
    code = region_code.ljust(12, "0")
    want = region_prefix(code)
    if not want.startswith(mine):
        raise NotFound("region.not_found", "No such region.")
    return want


async def rows(session: AsyncSession, settings: Settings, principal: Principal,
               prefix: str) -> AsyncIterator[list]:
    unmasked = principal.has("pii:read")
    result = await session.stream(_QUERY.execution_options(yield_per=2000),
                                  {"prefix": prefix + "%"})
    async for r in result:
        number = pii.decrypt(settings, r.id_number_enc)
        yield [str(r.id), r.village_code, r.group_name, r.registered_on, r.cause_main,
               ";".join(r.cause_others or []), r.year, r.wage_income, r.business_income,
               r.property_income, r.transfer_income, r.production_costs, r.net_income, r.name,
               number if unmasked else ids.mask_id(number), r.relation, r.labour_capacity,
               r.health, r.disability_category, r.disability_grade,
               None if r.in_school is None else int(r.in_school),
               None if r.stable_nonfarm_employment is None else int(r.stable_nonfarm_employment),
               r.tekun_since, r.joined_on]


async def audit_export(session: AsyncSession, principal: Principal, prefix: str, fmt: str) -> None:
    after = {"kind": "households", "region_prefix": prefix, "format": fmt,
             "id_numbers": "unmasked" if principal.has("pii:read") else "masked"}
    await record(session, principal, "pii.read" if principal.has("pii:read") else "export.read",
                 "export", None, after=after, region_code=prefix.ljust(12, "0"))


def _cell(v) -> str:
    return "" if v is None else str(v)


async def csv_chunks(source: AsyncIterator[list]) -> AsyncIterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    yield "\ufeff" + buf.getvalue()  # BOM: Excel opens it as UTF-8
    buf.seek(0)
    buf.truncate()
    n = 0
    async for row in source:
        w.writerow([_cell(v) for v in row])
        n += 1
        if n % 2000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


async def xlsx_file(source: AsyncIterator[list]) -> str:
    """Write an XLSX with xlsxwriter in constant_memory mode (rows flushed as written) to a
    temporary file; answers its path (the caller streams and deletes it)."""
    import xlsxwriter

    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("households")
    ws.write_row(0, 0, COLUMNS)
    n = 1
    async for row in source:
        ws.write_row(n, 0, [_cell(v) for v in row])
        n += 1
    wb.close()
    return path


def file_chunks(path: str, chunk: int = 1 << 16) -> Iterator[bytes]:
    try:
        with open(path, "rb") as f:
            while data := f.read(chunk):
                yield data
    finally:
        os.unlink(path)
