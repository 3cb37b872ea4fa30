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
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_prefix
from app.db import scan_the_day
from app.models.pairings import Pairing
from app.models.regions import Region
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


# R6 on the date, as the rules wrote it into the timelines; P1: a household cadre active on the
# date. One pass over the day's segments: counts by 市(區) and the first `limit` gaps.
_HOUSEHOLDS = text("""
WITH reg AS MATERIALIZED (
  SELECT t.household_id AS id, t.village_code,
         EXISTS (SELECT 1 FROM pairing p WHERE p.household_id = t.household_id
                 AND p.kind = 'household_cadre' AND p.start_date <= CAST(:on AS date)
                 AND (p.end_date IS NULL OR p.end_date >= CAST(:on AS date))) AS has_cadre
  FROM household_timeline t
  WHERE t.valid @> CAST(:on AS date) AND t.status = 'registered' AND t.village_code LIKE :prefix)
SELECT NULL::uuid AS id, substr(village_code, 1, 6) AS code, count(*) AS registered,
       count(*) FILTER (WHERE NOT has_cadre) AS without
FROM reg GROUP BY 2
UNION ALL
SELECT * FROM (SELECT id, village_code, NULL::bigint, NULL::bigint FROM reg WHERE NOT has_cadre
               ORDER BY village_code, id LIMIT :limit) gaps
""")


async def _households(session: AsyncSession, prefix: str, on: date, limit: int):
    await scan_the_day(session)
    rows = (await session.execute(_HOUSEHOLDS, {"on": on, "prefix": f"{prefix}%",
                                                "limit": limit})).all()
    counts = [(r.code, r.registered, r.without) for r in rows if r.id is None]
    listed = sorted((r for r in rows if r.id is not None), key=lambda r: (r.code, r.id))
    gaps = [HouseholdGap(household_id=str(r.id), village_code=r.code) for r in listed]
    return counts, gaps


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
