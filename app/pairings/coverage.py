"""Pairing coverage, 三落實 on a date (clauses 八, 十七, 十八): the report's queries.

- Registered households (R6 status on the date, from their timelines) with no responsible
  cadre on that date (P1 "定責任人").
- Weak villages (R2, in their latest assessed year not after the date's year — the same reading
  as P2) with no first secretary, with no helping unit (a `village_unit` of the village or a
  `town_unit` of its town), or with neither, on that date.
- Counts by 市(區).

Set-based: the household side is two SQL statements (counts by district, and the listed gaps)
whatever the number of households; the village side one query for the villages, one for their
incomes and one for the pairings active on the date.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_prefix
from app.models.households import Household
from app.models.pairings import Pairing
from app.models.regions import Region
from app.models.timelines import HouseholdTimeline
from app.villages.service import latest_statuses


class HouseholdGap(BaseModel):
    household_id: str
    village_code: str


class VillageGap(BaseModel):
    village_code: str
    name: str
    year: int
    has_first_secretary: bool
    has_unit: bool


class DistrictCounts(BaseModel):
    district_code: str
    registered_households: int = 0
    households_without_cadre: int = 0
    weak_villages: int = 0
    weak_villages_without_first_secretary: int = 0
    weak_villages_without_unit: int = 0
    weak_villages_without_either: int = 0


class PairingCoverage(BaseModel):
    region_code: str
    as_of: date
    registered_households: int
    households_without_cadre: int
    households: list[HouseholdGap] = Field(description="registered households with no responsible "
                                                       "cadre on the date (at most `limit`)")
    weak_villages: int
    weak_villages_without_first_secretary: int
    weak_villages_without_unit: int
    weak_villages_without_either: int
    villages: list[VillageGap] = Field(description="weak villages lacking a first secretary or "
                                                   "a unit on the date (at most `limit`)")
    by_district: list[DistrictCounts]


def _active(on: date):
    return (Pairing.start_date <= on) & or_(Pairing.end_date.is_(None), Pairing.end_date >= on)


async def _households(session: AsyncSession, prefix: str, on: date, limit: int):
    t = HouseholdTimeline  # R6 on the date, as the rules wrote it into the timelines
    has_cadre = exists().where(Pairing.household_id == Household.id,
                               Pairing.kind == "household_cadre", _active(on))
    registered = (select(Household.id, Household.village_code, has_cadre.label("has_cadre"))
                  .join(t, t.household_id == Household.id)
                  .where(Household.village_code.like(f"{prefix}%"), t.valid.contains(on),
                         t.status == "registered")).subquery()
    district = func.substr(registered.c.village_code, 1, 6)
    counts = (await session.execute(
        select(district, func.count(), func.count().filter(~registered.c.has_cadre))
        .group_by(district))).all()
    gaps = (await session.execute(
        select(registered.c.id, registered.c.village_code).where(~registered.c.has_cadre)
        .order_by(registered.c.village_code, registered.c.id).limit(limit))).all()
    return counts, [HouseholdGap(household_id=str(i), village_code=v) for i, v in gaps]


async def _villages(session: AsyncSession, prefix: str, on: date):
    villages = (await session.execute(
        select(Region.code, Region.name).where(Region.level == "village",
                                               Region.code.like(f"{prefix}%"))
        .order_by(Region.code))).all()
    statuses = await latest_statuses(session, [c for c, _ in villages], up_to_year=on.year)
    weak = [(c, n, statuses[c].year) for c, n in villages if c in statuses and statuses[c].weak]
    if not weak:
        return []
    towns = sorted({c[:9] + "000" for c, _, _ in weak})
    rows = (await session.execute(
        select(Pairing.kind, Pairing.scope_code).where(
            Pairing.kind.in_(("first_secretary", "village_unit", "town_unit")), _active(on),
            or_(Pairing.scope_code.like(f"{prefix}%"), Pairing.scope_code.in_(towns))))).all()
    secretaries = {s for k, s in rows if k == "first_secretary"}
    units = {s for k, s in rows if k in ("village_unit", "town_unit")}
    return [VillageGap(village_code=c, name=n, year=y, has_first_secretary=c in secretaries,
                       has_unit=c in units or c[:9] + "000" in units) for c, n, y in weak]


async def pairing_coverage(session: AsyncSession, principal: Principal, region_code: str | None,
                           on: date, limit: int) -> PairingCoverage:
    """The report for the caller's region (or a region within it) on `on`; 404 outside it."""
    code = region_code or principal.region_code
    ensure_in_region(principal, code, "region")
    prefix = region_prefix(code)
    counts, household_gaps = await _households(session, prefix, on, limit)
    villages = await _villages(session, prefix, on)
    districts: dict[str, DistrictCounts] = {}

    def of(d6: str) -> DistrictCounts:
        return districts.setdefault(d6, DistrictCounts(district_code=d6 + "000000"))

    for d6, registered, without in counts:
        of(d6).registered_households, of(d6).households_without_cadre = registered, without
    for v in villages:
        d = of(v.village_code[:6])
        d.weak_villages += 1
        d.weak_villages_without_first_secretary += not v.has_first_secretary
        d.weak_villages_without_unit += not v.has_unit
        d.weak_villages_without_either += not (v.has_first_secretary or v.has_unit)
    by_district = [districts[k] for k in sorted(districts)]
    return PairingCoverage(
        region_code=code, as_of=on,
        registered_households=sum(d.registered_households for d in by_district),
        households_without_cadre=sum(d.households_without_cadre for d in by_district),
        households=household_gaps,
        weak_villages=len(villages),
        weak_villages_without_first_secretary=sum(not v.has_first_secretary for v in villages),
        weak_villages_without_unit=sum(not v.has_unit for v in villages),
        weak_villages_without_either=sum(not (v.has_first_secretary or v.has_unit)
                                         for v in villages),
        villages=[v for v in villages if not (v.has_first_secretary and v.has_unit)][:limit],
        by_district=by_district)
