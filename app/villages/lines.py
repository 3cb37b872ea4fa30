"""R2 weak-village lines (二.2): the one door to the `weak_village_line` table.

Mirrors the poverty lines (app.policy_lines): the district's line in force on a date, else the
city's (`app.policy.lines.line_in_force(..., rule="R2")`). A new line is for the city or a 市(區)
(`check_line_region`), and a district line is never below the city line in force on its first day
(`app.policy.villages.check_weak_line`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter
from app.errors import Unprocessable, refusal_error
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.regions import Region
from app.models.villages import WeakVillageLine
from app.policy import lines as rules
from app.policy.errors import NoLineInForce
from app.policy.lines import CITY_REGION_CODE, LineVersion, district_code_of
from app.policy.villages import check_weak_line

RULE = "R2"
CENT = Decimal("0.01")


def _version(row: WeakVillageLine) -> LineVersion:
    return LineVersion(row.region_code, row.effective_from, row.amount)


async def all_line_versions(session: AsyncSession) -> list[LineVersion]:
    """Every weak-village line version (a few rows per 市(區)), oldest row first so that a
    same-day correction comes after the line it corrects, as the rule expects."""
    rows = await session.scalars(select(WeakVillageLine).order_by(WeakVillageLine.id))
    return [_version(r) for r in rows.all()]


async def line_versions(session: AsyncSession, region_code: str) -> list[LineVersion]:
    """The versions of the city line and of the 市(區) line of `region_code`, oldest row first."""
    codes = {CITY_REGION_CODE, district_code_of(region_code)}
    rows = await session.scalars(select(WeakVillageLine)
                                 .where(WeakVillageLine.region_code.in_(codes))
                                 .order_by(WeakVillageLine.id))
    return [_version(r) for r in rows.all()]


async def weak_line_in_force(session: AsyncSession, region_code: str, on: date) -> LineVersion:
    """R2 (二.2): the weak-village line in force for `region_code` on `on`; NoLineInForce (422)."""
    return rules.line_in_force(await line_versions(session, region_code), region_code, on,
                               rule=RULE)


async def create_line(session: AsyncSession, principal: Principal, data) -> WeakVillageLine:
    """R2 (二.2): a new version of the city's or a 市(區)'s line, within the caller's region."""
    where = rules.check_line_region(data.region_code, rule=RULE)
    if not where.ok:
        raise refusal_error(where)
    ensure_in_region(principal, data.region_code, "region")
    if await session.get(Region, data.region_code) is None:
        raise Unprocessable("policy.line.region_unknown", f"No region {data.region_code}.",
                            errors=[{"loc": ["body", "region_code"], "msg": "unknown region",
                                     "code": "policy.line.region_unknown"}])
    reasons = list(where.reasons)
    if data.region_code != CITY_REGION_CODE:
        # (二.2) "may be higher, never lower": compared with the city line in force on the day
        # the district line takes effect.
        versions = await line_versions(session, data.region_code)
        try:
            city = rules.line_in_force([v for v in versions if v.region_code == CITY_REGION_CODE],
                                       CITY_REGION_CODE, data.effective_from, rule=RULE)
        except NoLineInForce as e:
            raise Unprocessable(e.code, e.detail) from e
        decision = check_weak_line(data.amount, city.amount)
        if not decision.ok:
            raise refusal_error(decision)
        reasons.extend(decision.reasons)
    row = WeakVillageLine(region_code=data.region_code, effective_from=data.effective_from,
                          amount=data.amount.quantize(CENT), created_by=principal.actor)
    session.add(row)
    await session.flush()
    after = {"region_code": row.region_code, "effective_from": row.effective_from,
             "amount": row.amount, "reasons": [r.as_dict() for r in reasons]}
    await record(session, principal, "policy.weak_village_line.create", "weak_village_line",
                 row.id, after=after, region_code=row.region_code)
    await emit(session, "policy.weak_village_line.created", "weak_village_line", row.id,
               row.region_code, after)
    return row


async def list_lines(session: AsyncSession, principal: Principal, params: PageParams,
                     region_code: str | None = None):
    """The lines that apply in the caller's region: the city's and those of its 市(區)."""
    stmt = select(WeakVillageLine).where(or_(
        WeakVillageLine.region_code == CITY_REGION_CODE,
        region_filter(principal, WeakVillageLine.region_code),
        WeakVillageLine.region_code == district_code_of(principal.region_code or "0" * 12)))
    if region_code:
        stmt = stmt.where(WeakVillageLine.region_code == region_code)
    return await paginate(session, stmt, [WeakVillageLine.id], params)
