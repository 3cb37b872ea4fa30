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


# R5 (八) for every household registered on the date, as the rule wrote it into the timeline:
# one pass over the day's segments gives the counts and the first `limit` households that fall
# short (their reasons read by segment id for those only).
_TARGETS = text("""
WITH reg AS MATERIALIZED (
  SELECT t.id, t.household_id, t.village_code, t.support_type, t.target_met
  FROM household_timeline t
  WHERE t.valid @> CAST(:on AS date) AND t.status = 'registered'
    AND t.village_code LIKE :prefix AND t.village_code LIKE :scope)
SELECT NULL::uuid AS household_id, substr(village_code, 1, 6) AS code, support_type,
       target_met, count(*) AS n, NULL::jsonb AS reasons, NULL::jsonb AS refusals
FROM reg GROUP BY 2, 3, 4
UNION ALL
SELECT * FROM (
  SELECT s.household_id, s.village_code, s.support_type, NULL::boolean, NULL::bigint,
         t.answers -> 'target_reasons', t.answers -> 'target_refusals'
  FROM (SELECT id, household_id, village_code, support_type FROM reg WHERE NOT target_met
        ORDER BY village_code, household_id LIMIT :limit) s
  JOIN household_timeline t ON t.id = s.id
  ORDER BY s.village_code, s.household_id) listed
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
# or entered (registered or returned) during the year; with whether that year's assessment
# exists. One statement: both counts and the first `limit` households lacking the assessment.
_ANNUAL = text("""
WITH reg AS MATERIALIZED (
  SELECT t.household_id AS id, t.village_code,
         NOT EXISTS (SELECT 1 FROM household_assessment a
                     WHERE a.household_id = t.household_id AND a.year = :year) AS missing
  FROM household_timeline t
  WHERE t.valid @> CAST(:first AS date) AND t.status = 'registered'
    AND t.village_code LIKE :prefix AND t.village_code LIKE :scope
  UNION ALL
  SELECT h.id, h.village_code,
         NOT EXISTS (SELECT 1 FROM household_assessment a
                     WHERE a.household_id = h.id AND a.year = :year)
  FROM household h
  WHERE h.village_code LIKE :prefix AND h.village_code LIKE :scope
    AND h.id IN (SELECT e.household_id FROM household_event e
                 WHERE e.kind IN ('register', 'return') AND e.occurred_on >= CAST(:first AS date)
                   AND e.occurred_on < CAST(:next AS date))
    AND NOT EXISTS (SELECT 1 FROM household_timeline t WHERE t.household_id = h.id
                    AND t.valid @> CAST(:first AS date) AND t.status = 'registered'))
SELECT c.total, c.missing, r.id, r.village_code, r.registered_on
FROM (SELECT count(*) AS total, count(*) FILTER (WHERE missing) AS missing FROM reg) c
LEFT JOIN LATERAL (
  SELECT f.id, f.village_code, h.registered_on
  FROM (SELECT id, village_code FROM reg WHERE missing ORDER BY village_code, id LIMIT :limit) f
  JOIN household h ON h.id = f.id) r ON true
ORDER BY r.village_code, r.id
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
    total, missing = rows[0].total, rows[0].missing
    return AnnualVerification(
        region_code=region_code, year=year, registered_in_year=total, missing=missing,
        households=[MissingAssessment(household_id=str(r.id), village_code=r.village_code,
                                      registered_on=r.registered_on)
                    for r in rows if r.id is not None])
