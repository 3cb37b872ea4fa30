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
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, principal_prefix, region_prefix
from app.db import scan_the_day
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


# R5 (八) for every household registered on the date, as the rule wrote it into the timeline, in
# one statement (one snapshot): the counts, a grouped pass over the day's segments; then the
# first `limit` households that fall short, walked in (village, id) order on
# ix_household_timeline_village_code_household_id, their reasons read for those only. Each
# branch is planned on its own (the counts may scan in parallel, the list stops at `limit`);
# over one shared CTE the scan ran serially and every short household was sorted.
_TARGETS = text("""
SELECT NULL::uuid AS household_id, substr(t.village_code, 1, 6) AS code, t.support_type,
       t.target_met, count(*) AS n, NULL::jsonb AS reasons, NULL::jsonb AS refusals
FROM household_timeline t
WHERE t.valid @> CAST(:on AS date) AND t.status = 'registered'
  AND t.village_code LIKE :prefix AND t.village_code LIKE :scope
GROUP BY 2, 3, 4
UNION ALL
SELECT * FROM (
  SELECT t.household_id, t.village_code, t.support_type, NULL::boolean, NULL::bigint,
         t.answers -> 'target_reasons', t.answers -> 'target_refusals'
  FROM household_timeline t
  WHERE t.valid @> CAST(:on AS date) AND t.status = 'registered' AND NOT t.target_met
    AND t.village_code LIKE :prefix AND t.village_code LIKE :scope
  ORDER BY t.village_code, t.household_id
  LIMIT :limit) listed
""").columns(reasons=JSONB, refusals=JSONB)


async def targets(session: AsyncSession, principal: Principal, region_code: str, on: date,
                  limit: int) -> TargetsReport:
    """R5 (八) for every household registered on `on`: the decision the rule wrote into the
    household's timeline, read with `valid @> on`: the counts and the households that fall
    short (up to `limit`, with their reasons) in one statement."""
    ensure_in_region(principal, region_code, "region")
    await scan_the_day(session)
    rows = (await session.execute(_TARGETS, {
        "on": on, "limit": limit, "prefix": region_prefix(region_code) + "%",
        "scope": (principal_prefix(principal) or "") + "%"})).all()
    districts: dict[str, DistrictTargets] = {}
    short = []
    # counts first, then the listed households in (village, id) order
    for r in sorted(rows, key=lambda r: (r.household_id is not None, r.code, r.household_id or 0)):
        if r.household_id is not None:
            refusals = [{k: v for k, v in x.items() if k != "code"} for x in r.refusals]
            short.append(ShortHousehold(
                household_id=str(r.household_id), village_code=r.code,
                support_type=r.support_type,
                reasons=[Reason(**x) for x in (*r.reasons, *refusals)]))
            continue
        d = districts.setdefault(r.code + "000000", DistrictTargets(
            district_code=r.code + "000000", registered=0, development=0, development_met=0,
            relief=0, relief_met=0))
        d.registered += r.n
        if r.support_type == DEVELOPMENT:
            d.development += r.n
            d.development_met += r.n if r.target_met else 0
        else:
            d.relief += r.n
            d.relief_met += r.n if r.target_met else 0
    total = sum(d.registered for d in districts.values())
    met_count = sum(d.development_met + d.relief_met for d in districts.values())
    return TargetsReport(region_code=region_code, as_of=on, registered=total, met=met_count,
                         short=total - met_count, households_short=short,
                         by_district=sorted(districts.values(), key=lambda d: d.district_code))


# (R6) Registered at some time in the year: registered on 1 January, as the timeline answers it,
# or entered (registered or returned) during the year and not registered on 1 January; with
# whether that year's assessment exists. `{t}` / `{h}` add a condition to each part.
_ON_FIRST = """FROM household_timeline t
  WHERE t.valid @> CAST(:first AS date) AND t.status = 'registered'
    AND t.village_code LIKE :prefix AND t.village_code LIKE :scope"""
_ENTERED = """FROM household h
  WHERE h.village_code LIKE :prefix AND h.village_code LIKE :scope
    AND h.id IN (SELECT e.household_id FROM household_event e
                 WHERE e.kind IN ('register', 'return') AND e.occurred_on >= CAST(:first AS date)
                   AND e.occurred_on < CAST(:next AS date))
    AND NOT EXISTS (SELECT 1 FROM household_timeline t WHERE t.household_id = h.id
                    AND t.valid @> CAST(:first AS date) AND t.status = 'registered')"""
_ASSESSED = "(SELECT DISTINCT household_id FROM household_assessment WHERE year = :year)"
_LACKING = ("NOT EXISTS (SELECT 1 FROM household_assessment a WHERE a.household_id = {} "
            "AND a.year = :year)")
# One statement (one snapshot): both counts (an anti-join that may scan in parallel), then the
# first `limit` households lacking the assessment with their registration date, each part
# walked in (village, id) order (ix_household_timeline_village_code_household_id) and stopped
# at `limit`. Over one shared CTE the scan ran serially and every household was sorted.
_ANNUAL = text(f"""
SELECT count(*) AS total, count(*) FILTER (WHERE missing) AS missing, NULL::uuid AS id,
       NULL::varchar AS village_code, NULL::date AS registered_on
FROM (SELECT a.household_id IS NULL AS missing {_ON_FIRST.replace(
          "FROM household_timeline t",
          f"FROM household_timeline t LEFT JOIN {_ASSESSED} a ON a.household_id = t.household_id")}
      UNION ALL
      SELECT a.household_id IS NULL {_ENTERED.replace(
          "FROM household h", f"FROM household h LEFT JOIN {_ASSESSED} a ON a.household_id = h.id")}
     ) c
UNION ALL
SELECT NULL, NULL, f.id, f.village_code,
       (SELECT h.registered_on FROM household h WHERE h.id = f.id)  -- by key, for these only
FROM (SELECT id, village_code
      FROM ((SELECT t.household_id AS id, t.village_code {_ON_FIRST}
               AND {_LACKING.format("t.household_id")}
             ORDER BY t.village_code, t.household_id LIMIT :limit)
            UNION ALL
            (SELECT h.id, h.village_code {_ENTERED} AND {_LACKING.format("h.id")}
             ORDER BY h.village_code, h.id LIMIT :limit)) lacking
      ORDER BY village_code, id LIMIT :limit) f
""")


async def annual_verification(session: AsyncSession, principal: Principal, region_code: str,
                              year: int, limit: int) -> AnnualVerification:
    """(R6) Households registered at some time in `year` with no assessment of that year."""
    ensure_in_region(principal, region_code, "region")
    await scan_the_day(session)
    rows = (await session.execute(_ANNUAL, {
        "year": year, "first": date(year, 1, 1), "next": date(year + 1, 1, 1), "limit": limit,
        "prefix": region_prefix(region_code) + "%",
        "scope": (principal_prefix(principal) or "") + "%"})).all()
    counts = next(r for r in rows if r.id is None)
    listed = sorted((r for r in rows if r.id is not None), key=lambda r: (r.village_code, r.id))
    return AnnualVerification(
        region_code=region_code, year=year, registered_in_year=counts.total,
        missing=counts.missing,
        households=[MissingAssessment(household_id=str(r.id), village_code=r.village_code,
                                      registered_on=r.registered_on) for r in listed])
