"""Targets (R5) and the annual verification (R6): who falls short, by region and date.

R5: a development-type household meets its target with an active income-generating measure or a
member in stable non-agricultural employment; a relief-type household only when covered by an
active dibao grant (應保盡保). R6 (定期全面核查): every registered household needs an income
assessment for each year it is registered. Status, support type and the R5 facts are computed
in SQL for every household at once; the decision itself is the pure rule `support.target_met`.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import and_, exists, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_prefix
from app.households.coverage import dibao_coverage
from app.households.sql import attribute_sql, current_member_sql, development_sql, status_sql
from app.models.households import (
    Household,
    HouseholdAssessment,
    HouseholdEvent,
    HouseholdMeasure,
    HouseholdMember,
    MemberAttributeVersion,
)
from app.policy.support import DEVELOPMENT, RELIEF, target_met

COVERAGE_SLICE = 5000


class Reason(BaseModel):
    rule: str
    clause: str
    detail: str


class ShortHousehold(BaseModel):
    household_id: str
    village_code: str
    support_type: str
    reasons: list[Reason]


class DistrictTargets(BaseModel):
    district_code: str
    registered: int
    development: int
    development_met: int
    relief: int
    relief_met: int


class TargetsReport(BaseModel):
    region_code: str
    as_of: date
    registered: int
    met: int
    short: int
    households_short: list[ShortHousehold]
    by_district: list[DistrictTargets]


class MissingAssessment(BaseModel):
    household_id: str
    village_code: str
    registered_on: date


class AnnualVerification(BaseModel):
    region_code: str
    year: int
    registered_in_year: int
    missing: int
    households: list[MissingAssessment]


def _employment_sql(on: date):
    employed = attribute_sql(MemberAttributeVersion.stable_nonfarm_employment, on)
    return exists().where(current_member_sql(on), employed.is_(True))


def _measure_sql(on: date):
    x = HouseholdMeasure
    return exists().where(x.household_id == Household.id, x.income_generating.is_(True),
                          x.start_date <= on, or_(x.end_date.is_(None), x.end_date >= on))


def _scope(principal: Principal, region_code: str):
    ensure_in_region(principal, region_code, "region")
    return and_(region_filter(principal, Household.village_code),
                Household.village_code.like(f"{region_prefix(region_code)}%"))


async def targets(session: AsyncSession, principal: Principal, region_code: str, on: date,
                  limit: int) -> TargetsReport:
    rows = (await session.execute(
        select(Household.id, Household.village_code,
               development_sql(on).label("development"),
               _measure_sql(on).label("measure"), _employment_sql(on).label("employment"))
        .where(_scope(principal, region_code), status_sql(on) == "registered")
        .order_by(Household.village_code, Household.id))).all()
    # Current members of the relief-type households, selected in SQL (no bind per household),
    # then asked for dibao coverage in slices that stay under the driver's parameter limit.
    relief = (select(Household.id).where(_scope(principal, region_code),
                                         status_sql(on) == "registered", ~development_sql(on)))
    members = (await session.execute(
        select(HouseholdMember.id, HouseholdMember.household_id)
        .where(HouseholdMember.household_id.in_(relief.scalar_subquery()),
               HouseholdMember.joined_on <= on,
               or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on > on)))).all()
    covered_members: dict = {}
    for i in range(0, len(members), COVERAGE_SLICE):
        covered_members |= await dibao_coverage(
            session, [m.id for m in members[i:i + COVERAGE_SLICE]], on)
    covered = {m.household_id for m in members if m.id in covered_members}

    short: list[ShortHousehold] = []
    districts: dict[str, DistrictTargets] = {}
    met_count = 0
    for r in rows:
        kind = DEVELOPMENT if r.development else RELIEF
        decision = target_met(kind, bool(r.measure), bool(r.employment), r.id in covered)
        d = districts.setdefault(r.village_code[:6] + "000000", DistrictTargets(
            district_code=r.village_code[:6] + "000000", registered=0, development=0,
            development_met=0, relief=0, relief_met=0))
        d.registered += 1
        if kind == DEVELOPMENT:
            d.development += 1
            d.development_met += decision.ok
        else:
            d.relief += 1
            d.relief_met += decision.ok
        if decision.ok:
            met_count += 1
        elif len(short) < limit:
            reasons = [*decision.reasons, *(f.reason for f in decision.refusals)]
            short.append(ShortHousehold(household_id=str(r.id), village_code=r.village_code,
                                        support_type=kind,
                                        reasons=[Reason(**x.as_dict()) for x in reasons]))
    return TargetsReport(region_code=region_code, as_of=on, registered=len(rows), met=met_count,
                         short=len(rows) - met_count, households_short=short,
                         by_district=sorted(districts.values(), key=lambda d: d.district_code))


async def annual_verification(session: AsyncSession, principal: Principal, region_code: str,
                              year: int, limit: int) -> AnnualVerification:
    """(R6) Households registered at some time in `year` with no assessment of that year."""
    first = date(year, 1, 1)
    e = HouseholdEvent
    entered = exists().where(e.household_id == Household.id, e.kind.in_(("register", "return")),
                             extract("year", e.occurred_on) == year)
    assessed = exists().where(HouseholdAssessment.household_id == Household.id,
                              HouseholdAssessment.year == year)
    registered = or_(status_sql(first) == "registered", entered)
    base = select(Household.id, Household.village_code, Household.registered_on).where(
        _scope(principal, region_code), registered)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    missing_q = base.where(~assessed)
    missing = await session.scalar(select(func.count()).select_from(missing_q.subquery()))
    rows = (await session.execute(missing_q.order_by(Household.village_code, Household.id)
                                  .limit(limit))).all()
    return AnnualVerification(
        region_code=region_code, year=year, registered_in_year=total or 0, missing=missing or 0,
        households=[MissingAssessment(household_id=str(r.id), village_code=r.village_code,
                                      registered_on=r.registered_on) for r in rows])
