"""Targets (R5) and the annual verification (R6): who falls short, by region and date.

R5: a development-type household meets its target with an active income-generating measure or a
member in stable non-agricultural employment; a relief-type household only when covered by an
active dibao grant (應保盡保). R6 (定期全面核查): every registered household needs an income
assessment for each year it is registered. Status, support type and the R5 decision are the ones
the rules wrote into the households' timelines (`support.target_met`, evaluated per segment).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import and_, exists, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_prefix
from app.models.households import Household, HouseholdAssessment, HouseholdEvent
from app.models.timelines import HouseholdTimeline
from app.policy.support import DEVELOPMENT


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


def _scope(principal: Principal, region_code: str):
    ensure_in_region(principal, region_code, "region")
    return and_(region_filter(principal, Household.village_code),
                Household.village_code.like(f"{region_prefix(region_code)}%"))


async def targets(session: AsyncSession, principal: Principal, region_code: str, on: date,
                  limit: int) -> TargetsReport:
    """R5 (八) for every household registered on `on`: the decision the rule wrote into the
    household's timeline, read with `valid @> on`: counts in one aggregate, the households that
    fall short (up to `limit`, with their reasons) in one more query."""
    t = HouseholdTimeline
    registered = and_(_scope(principal, region_code), t.valid.contains(on),
                      t.status == "registered")
    district = func.substr(t.village_code, 1, 6)
    counts = (await session.execute(
        select(district, t.support_type, t.target_met, func.count())
        .join(Household, Household.id == t.household_id).where(registered)
        .group_by(district, t.support_type, t.target_met))).all()
    districts: dict[str, DistrictTargets] = {}
    for d6, kind, met, n in counts:
        d = districts.setdefault(d6 + "000000", DistrictTargets(
            district_code=d6 + "000000", registered=0, development=0, development_met=0,
            relief=0, relief_met=0))
        d.registered += n
        if kind == DEVELOPMENT:
            d.development += n
            d.development_met += n if met else 0
        else:
            d.relief += n
            d.relief_met += n if met else 0
    rows = (await session.execute(
        select(t.household_id, t.village_code, t.support_type, t.answers)
        .join(Household, Household.id == t.household_id)
        .where(registered, t.target_met.is_(False))
        .order_by(t.village_code, t.household_id).limit(limit))).all()
    short = []
    for r in rows:
        refusals = [{k: v for k, v in x.items() if k != "code"}
                    for x in r.answers["target_refusals"]]
        reasons = [*r.answers["target_reasons"], *refusals]
        short.append(ShortHousehold(household_id=str(r.household_id), village_code=r.village_code,
                                    support_type=r.support_type,
                                    reasons=[Reason(**x) for x in reasons]))
    total = sum(d.registered for d in districts.values())
    met_count = sum(d.development_met + d.relief_met for d in districts.values())
    return TargetsReport(region_code=region_code, as_of=on, registered=total, met=met_count,
                         short=total - met_count, households_short=short,
                         by_district=sorted(districts.values(), key=lambda d: d.district_code))


def _registered_on(on: date):
    """R6 on `on`, as the household's timeline answers it."""
    t = HouseholdTimeline
    return exists().where(t.household_id == Household.id, t.valid.contains(on),
                          t.status == "registered")


async def annual_verification(session: AsyncSession, principal: Principal, region_code: str,
                              year: int, limit: int) -> AnnualVerification:
    """(R6) Households registered at some time in `year` with no assessment of that year."""
    first = date(year, 1, 1)
    e = HouseholdEvent
    entered = exists().where(e.household_id == Household.id, e.kind.in_(("register", "return")),
                             extract("year", e.occurred_on) == year)
    assessed = exists().where(HouseholdAssessment.household_id == Household.id,
                              HouseholdAssessment.year == year)
    registered = or_(_registered_on(first), entered)
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
