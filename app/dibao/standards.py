"""Dibao standards per 市(區) (D1) and the re-evaluation of active grants they trigger (D7)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, principal_prefix, region_filter
from app.dibao.adjust import emit_adjustments, open_grants_clause
from app.dibao.facts import Facts, load_facts, load_standards
from app.errors import Conflict, Unprocessable
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.dibao import DibaoCase, DibaoStandard
from app.models.regions import Region

UNIQUE = "uq_dibao_standard_region_code_effective_from"


def _visible(principal: Principal):
    """A standard belongs to a 市(區): its officers and those of its towns and villages read it."""
    prefix = principal_prefix(principal)
    if prefix is not None and len(prefix) > 6:
        return DibaoStandard.region_code == prefix[:6] + "000000"
    return region_filter(principal, DibaoStandard.region_code)


async def list_standards(session: AsyncSession, principal: Principal, params: PageParams,
                         region_code: str | None = None):
    stmt = select(DibaoStandard).where(_visible(principal))
    if region_code:
        stmt = stmt.where(DibaoStandard.region_code == region_code)
    return await paginate(session, stmt, [DibaoStandard.region_code, DibaoStandard.effective_from],
                          params)


async def create_standard(session: AsyncSession, principal: Principal, data) -> DibaoStandard:
    """(十四, D1) a new standard from a date; the history is kept, never overwritten."""
    region = await session.get(Region, data.region_code)
    if region is None or region.level != "district":
        msg = f"{data.region_code} is not a 市(區): a dibao standard is set per 市(區) (D1)."
        raise Unprocessable("dibao.standard.region_not_district", msg,
                            errors=[{"loc": ["body", "region_code"], "msg": msg,
                                     "code": "dibao.standard.region_not_district"}])
    ensure_in_region(principal, data.region_code, "region")
    grants = await _open_grants(session, data.region_code)
    before = await load_facts(session, grants)
    # Added through the ORM, so that the flush tells the timelines which 市(區) changed: the
    # grants there get their monthly benefits rewritten (D7).
    standard = DibaoStandard(region_code=data.region_code, effective_from=data.effective_from,
                             amount=data.amount, recorded_by=principal.actor,
                             recorded_by_name=principal.name)
    try:
        async with session.begin_nested():
            session.add(standard)
            await session.flush()
    except IntegrityError as e:
        if UNIQUE not in str(e.orig):
            raise
        raise Conflict("dibao.standard.exists",
                       f"{data.region_code} already has a standard from {data.effective_from}; "
                       "history is never overwritten: post one with another effective date (D1)."
                       ) from e
    after_values = {"region_code": standard.region_code,
                    "effective_from": standard.effective_from, "amount": standard.amount}
    await record(session, principal, "dibao.standard.create", "dibao_standard", standard.id,
                 after=after_values, region_code=standard.region_code)
    await emit(session, "dibao.standard.created", "dibao_standard", standard.id,
               standard.region_code, after_values)
    after = Facts(standards=await load_standards(session, [data.region_code]),
                  assessments=before.assessments, members=before.members, steps=before.steps)
    await emit_adjustments(session, grants, before, after, data.effective_from, "standard")
    return standard


async def _open_grants(session: AsyncSession, district: str) -> list[DibaoCase]:
    rows = await session.scalars(
        select(DibaoCase).where(DibaoCase.region_code.like(district[:6] + "%"),
                                *open_grants_clause())
        .order_by(DibaoCase.id))
    return list(rows.all())
