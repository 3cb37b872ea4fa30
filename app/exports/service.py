"""Households export: one row per member on a date (`as_of`, default today) with the household's
columns, its status on that date and the assessment in force (read from the timelines), in the
households import format (a file exported can be imported elsewhere; `lang=zh` writes the
national forms' Chinese headers).
Removed households are left out unless asked for. Every cell is text (`app.kit.cells`).
Streamed from a server-side cursor; ID numbers masked unless the caller holds pii:read (then the
export is audited as a pii.read)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import principal_prefix, region_prefix
from app.config import Settings
from app.errors import NotFound
from app.imports.headers import chinese_header
from app.kit import cells
from app.models.households import Household, HouseholdAssessment, HouseholdMember
from app.models.timelines import HouseholdTimeline, PersonTimeline
from app.policy import ids

COLUMNS = ["household_key", "village_code", "group", "registered_on", "cause_main",
           "cause_others", "assessment_year", "wage_income", "business_income", "property_income",
           "transfer_income", "production_costs", "net_income", "name", "id_number", "relation",
           "labour_capacity", "health", "disability_category", "disability_grade", "in_school",
           "stable_nonfarm_employment", "tekun_since", "joined_on", "status"]



def _query(prefix: str, on: date, status: str | None, include_removed: bool):
    """One row per member of the household on `on`, with the household's status (R6) and the
    assessment in force (R8), and the member's attributes in force: all read from the
    timelines the rules wrote (`valid @> on`), none derived again here."""
    h, m, a, t, p = Household, HouseholdMember, HouseholdAssessment, HouseholdTimeline, PersonTimeline
    stmt = (
        select(h.id, h.village_code, h.group_name, h.registered_on, h.cause_main, h.cause_others,
               a.year, a.wage_income, a.business_income, a.property_income, a.transfer_income,
               a.production_costs, a.net_income, m.name, m.id_number_enc, m.relation,
               p.attributes, m.joined_on, t.status)
        .join(t, and_(t.household_id == h.id, t.valid.contains(on)))
        .join(p, and_(p.household_id == h.id, p.valid.contains(on), p.is_member.is_(True)))
        .join(m, m.id == p.person_id)
        .outerjoin(a, a.id == t.assessment_id)
        .where(h.village_code.like(prefix + "%"), t.status.is_not(None))
        .order_by(h.village_code, h.id, m.relation, m.id)
    )
    if status:
        stmt = stmt.where(t.status == status)
    elif not include_removed:
        stmt = stmt.where(t.status != "removed")
    return stmt


def _flag(value) -> int | None:
    return None if value is None else int(bool(value))


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


async def rows(session: AsyncSession, settings: Settings, principal: Principal, prefix: str,
               *, on: date, status: str | None = None,
               include_removed: bool = False) -> AsyncIterator[list]:
    """The export's rows (see `_query`); removed households only when asked for."""
    unmasked = principal.has("pii:read")
    stmt = _query(prefix, on, status, include_removed).execution_options(yield_per=2000)
    result = await session.stream(stmt)
    async for r in result:
        number = pii.decrypt(settings, r.id_number_enc)
        v = r.attributes or {}
        yield [str(r.id), r.village_code, r.group_name, r.registered_on, r.cause_main,
               ";".join(r.cause_others or []), r.year, r.wage_income, r.business_income,
               r.property_income, r.transfer_income, r.production_costs, r.net_income, r.name,
               number if unmasked else ids.mask_id(number), r.relation, v.get("labour_capacity"),
               v.get("health"), v.get("disability_category"), v.get("disability_grade"),
               _flag(v.get("in_school")), _flag(v.get("stable_nonfarm_employment")),
               v.get("tekun_since"), r.joined_on, r.status]


async def audit_export(session: AsyncSession, principal: Principal, prefix: str, fmt: str) -> None:
    after = {"kind": "households", "region_prefix": prefix, "format": fmt,
             "id_numbers": "unmasked" if principal.has("pii:read") else "masked"}
    await record(session, principal, "pii.read" if principal.has("pii:read") else "export.read",
                 "export", None, after=after, region_code=prefix.ljust(12, "0"))


def header_row(lang: str) -> list[str]:
    """The header line: the field names, or with `lang=zh` the national forms' Chinese headers
    (from the import's header table, so the file imports again)."""
    return list(COLUMNS) if lang != "zh" else [chinese_header(c) for c in COLUMNS]


async def csv_chunks(source: AsyncIterator[list], lang: str = "en") -> AsyncIterator[str]:
    lines = cells.CsvLines()
    lines.write(header_row(lang))
    yield "\ufeff" + lines.drain()  # BOM: Excel opens it as UTF-8
    n = 0
    async for row in source:
        lines.write(row)
        n += 1
        if n % 2000 == 0:
            yield lines.drain()
    yield lines.drain()


async def xlsx_file(source: AsyncIterator[list], lang: str = "en") -> str:
    """Write an XLSX with xlsxwriter in constant_memory mode (rows flushed as written), every
    cell a string cell, to a temporary file; answers its path (the caller streams and deletes
    it)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    wb = cells.xlsx_workbook(path, constant_memory=True)
    ws = wb.add_worksheet("households")
    cells.xlsx_row(ws, 0, header_row(lang))
    n = 1
    async for row in source:
        cells.xlsx_row(ws, n, row)
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
