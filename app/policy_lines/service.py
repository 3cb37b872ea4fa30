"""R1 poverty lines (二): the one door to the `poverty_line` table.

`line_in_force(session, region_code, on)` is what other modules call: the district's line in force
on the date, else the city's (app.policy.lines). Setting a line goes through
`app.policy.lines.check_new_line` (city or 市(區) only; a district line never below the city's).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_prefix
from app.config import Settings
from app.errors import Conflict, Unprocessable, refusal_error
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.households import Household
from app.models.policy_lines import PovertyLine
from app.models.regions import Region
from app.policy import lines as rules
from app.policy.lines import CITY_REGION_CODE, LineVersion, district_code_of


def _version(row: PovertyLine) -> LineVersion:
    return LineVersion(row.region_code, row.effective_from, row.amount)


async def line_versions(session: AsyncSession, region_code: str) -> list[LineVersion]:
    """Every version of the city line and of the 市(區) line of `region_code`, oldest row first
    (so a same-day correction comes after the line it corrects, as the rule expects)."""
    codes = {CITY_REGION_CODE, district_code_of(region_code)}
    rows = await session.scalars(select(PovertyLine).where(PovertyLine.region_code.in_(codes),
                                                           PovertyLine.applied_at.is_not(None))
                                 .order_by(PovertyLine.id))
    return [_version(r) for r in rows.all()]


async def line_in_force(session: AsyncSession, region_code: str, on: date) -> LineVersion:
    """R1 (二): the line in force for `region_code` on `on`; NoLineInForce (422) when none."""
    return rules.line_in_force(await line_versions(session, region_code), region_code, on)


async def create_line(session: AsyncSession, settings: Settings, principal: Principal,
                      data) -> PovertyLine:
    """R1 (二): set a new version of the city's or a 市(區)'s line, within the caller's region.

    Applied here when it reaches at most `policy_inline_households` households (their timelines
    are rewritten in this transaction); beyond, pending, and applied by one job of the worker
    for its region (`apply_line`): the line and every answer it changes take effect together,
    when that job commits. One pending line at a time."""
    new = LineVersion(data.region_code, data.effective_from, data.amount)
    where = rules.check_line_region(new.region_code)
    if not where.ok:
        raise refusal_error(where)
    ensure_in_region(principal, new.region_code, "region")
    if await session.get(Region, new.region_code) is None:
        raise Unprocessable("policy.line.region_unknown", f"No region {new.region_code}.",
                            errors=[{"loc": ["body", "region_code"], "msg": "unknown region",
                                     "code": "policy.line.region_unknown"}])
    await _refuse_while_pending(session)
    decision = rules.check_new_line(new, await line_versions(session, new.region_code))
    if not decision.ok:
        raise refusal_error(decision)
    reached = await _households_reached(session, new.region_code)
    here = reached <= settings.policy_inline_households
    if here:
        await hold_policy_lock(session)  # applied here: its rewrite at commit, as a job's
    row = PovertyLine(region_code=new.region_code, effective_from=new.effective_from,
                      amount=new.amount, created_by=principal.actor,
                      applied_at=await session.scalar(select(func.now())) if here else None)
    session.add(row)
    await session.flush()
    after = {"region_code": row.region_code, "effective_from": row.effective_from,
             "amount": row.amount, "reasons": [r.as_dict() for r in decision.reasons],
             "state": row.state, "households": reached}
    await record(session, principal, "policy.poverty_line.create", "poverty_line", row.id,
                 after=after, region_code=row.region_code)
    await emit(session, "policy.poverty_line.created", "poverty_line", row.id, row.region_code,
               after)
    if row.applied_at is None:
        from app.imports.queue import defer_policy  # the worker's queue, in this transaction

        await defer_policy(session, row.id)
    return row


CREATE_LOCK = 7_715_012  # new lines are set one at a time (the pending check below holds)
# Held exclusively while a line is applied (in the request, or by its job); every transaction
# that writes timelines holds it shared (app.timelines.store), so none overlaps the rewrite and
# no household registered meanwhile misses the line.
POLICY_LOCK = 7_715_011


async def hold_policy_lock(session: AsyncSession) -> None:
    """Wait for every transaction writing timelines to end; keep new ones waiting until this
    transaction ends."""
    await session.execute(select(func.pg_advisory_xact_lock(POLICY_LOCK)))


async def _refuse_while_pending(session: AsyncSession) -> None:
    """One pending line at a time, city-wide: a line is checked against the lines in force
    (a district's against the city's), which a pending one is not yet."""
    await session.execute(select(func.pg_advisory_xact_lock(CREATE_LOCK)))
    pending = (await session.execute(select(PovertyLine.id, PovertyLine.region_code).where(
        PovertyLine.applied_at.is_(None)).limit(1))).first()
    if pending is not None:
        raise Conflict("policy.line.pending",
                       f"line {pending.id} of {pending.region_code} is still being applied; set "
                       "the next version once it is (GET /api/v1/policy/poverty-lines shows its "
                       "state).")


async def pending_lines(session: AsyncSession) -> list[int]:
    """The ids of the lines not applied yet, oldest first."""
    return list((await session.scalars(select(PovertyLine.id).where(
        PovertyLine.applied_at.is_(None)).order_by(PovertyLine.id))).all())


async def _households_reached(session: AsyncSession, region_code: str) -> int:
    """(二) the households whose answers a line of this region can change: every one for the
    city's, those of the 市(區) for a district's."""
    return int(await session.scalar(select(func.count()).select_from(Household).where(
        Household.village_code.like(region_prefix(region_code) + "%"))) or 0)


async def apply_line(session: AsyncSession, line_id: int) -> str:
    """The job of a pending line: mark it applied, so that the commit rewrites the timelines of
    every household it reaches in the same transaction (app.timelines); answers the line's
    state before ("pending", or "applied" when run again)."""
    await hold_policy_lock(session)
    row = await session.get(PovertyLine, line_id, with_for_update=True)
    if row is None:
        return "gone"
    if row.applied_at is not None:
        return "applied"
    row.applied_at = await session.scalar(select(func.now()))
    await session.flush()
    after = {"region_code": row.region_code, "effective_from": row.effective_from,
             "amount": row.amount, "state": "applied"}
    await record(session, None, "policy.poverty_line.apply", "poverty_line", row.id,
                 after=after, region_code=row.region_code)
    await emit(session, "policy.poverty_line.applied", "poverty_line", row.id, row.region_code,
               after)
    return "pending"


async def list_lines(session: AsyncSession, principal: Principal, params: PageParams,
                     region_code: str | None = None):
    """The lines that apply in the caller's region: the city's and those of its 市(區)."""
    stmt = select(PovertyLine).where(or_(PovertyLine.region_code == CITY_REGION_CODE,
                                         region_filter(principal, PovertyLine.region_code),
                                         PovertyLine.region_code
                                         == district_code_of(principal.region_code or "0" * 12)))
    if region_code:
        stmt = stmt.where(PovertyLine.region_code == region_code)
    return await paginate(session, stmt, [PovertyLine.id], params)
