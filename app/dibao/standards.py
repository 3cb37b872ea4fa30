"""Dibao standards per 市(區) (D1) and the re-evaluation of active grants they trigger (D7)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, principal_prefix, region_filter
from app.dibao import amounts
from app.dibao.facts import Facts, load_facts, load_standards
from app.errors import Conflict, Unprocessable
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.dibao import DibaoCase, DibaoStandard
from app.models.regions import Region
from app.policy.dates import first_of_month_on_or_after
from app.policy.dibao import DibaoError

GRANT_STATES = ("approved", "active", "suspended")


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
    row_id = await session.scalar(
        insert(DibaoStandard)
        .values(region_code=data.region_code, effective_from=data.effective_from,
                amount=data.amount, recorded_by=principal.actor, recorded_by_name=principal.name)
        .on_conflict_do_nothing()
        .returning(DibaoStandard.id))
    if row_id is None:
        raise Conflict("dibao.standard.exists",
                       f"{data.region_code} already has a standard from {data.effective_from}; "
                       "history is never overwritten: post one with another effective date (D1).")
    standard = await session.get(DibaoStandard, row_id)
    after_values = {"region_code": standard.region_code,
                    "effective_from": standard.effective_from, "amount": standard.amount}
    await record(session, principal, "dibao.standard.create", "dibao_standard", standard.id,
                 after=after_values, region_code=standard.region_code)
    await emit(session, "dibao.standard.created", "dibao_standard", standard.id,
               standard.region_code, after_values)
    after = Facts(standards=await load_standards(session, [data.region_code]),
                  assessments=before.assessments, members=before.members, steps=before.steps)
    await _emit_adjustments(session, grants, before, after, data.effective_from)
    return standard


async def _open_grants(session: AsyncSession, district: str) -> list[DibaoCase]:
    rows = await session.scalars(
        select(DibaoCase).where(DibaoCase.region_code.like(district[:6] + "%"),
                                DibaoCase.start_month.is_not(None),
                                or_(*[DibaoCase.state == s for s in GRANT_STATES]))
        .order_by(DibaoCase.id))
    return list(rows.all())


async def _emit_adjustments(session, grants, before, after, effective_from: date) -> None:
    """(十四, D7) a grant whose amount changes from the month on or after the new standard."""
    for case in grants:
        opening = max(first_of_month_on_or_after(effective_from), case.start_month)
        try:
            old = amounts.period_on(amounts.periods(case, before), opening)
            new = amounts.period_on(amounts.periods(case, after), opening)
        except DibaoError:
            continue  # facts incomplete for this grant: it shows its own error when read
        if new is None or (old is not None and old.monthly_benefit == new.monthly_benefit
                           and old.d2_ok == new.d2_ok):
            continue
        await emit(session, "dibao.grant.adjusted", "dibao_case", case.id, case.region_code, {
            "case_id": case.id, "household_id": case.household_id, "from": opening,
            "cause": "standard", "standard": new.standard,
            "monthly_benefit_before": None if old is None else old.monthly_benefit,
            "monthly_benefit_after": new.monthly_benefit, "d2_met": new.d2_ok,
        })
