"""Pairings (clauses 八, 十七, 十八): who helps whom over which period. The one door to `pairing`.

Rules: P3 the period; the shape (which helper kind and target each kind takes); P1 one
responsible cadre per household at a time; P2 a first secretary only for a village weak in its
latest assessed year, one at a time; P4 no cadre for their own household (same ID number).

Concurrency: the overlap rules read other rows, so two concurrent requests could both pass. Each
request first locks the row the rule is about — the household (P1) or the village (P2) — with
SELECT ... FOR UPDATE in its own transaction, then reads the existing periods: the second waits
for the first to commit and then sees its pairing. (An exclusion constraint would need btree_gist.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import get_scoped, in_region, region_filter, region_prefix
from app.auth.user_region import check_pairing_in_user_region
from app.config import Settings
from app.errors import NotFound, refusal_error
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.households import Household, HouseholdMember
from app.models.pairings import Pairing
from app.models.regions import Region
from app.pairings.helpers import get_helper
from app.policy import pairings as rules
from app.policy.pairings import Period
from app.policy.reasons import Decision, Reason
from app.villages.service import get_village_region, weak_in_latest_year


@dataclass(frozen=True)
class PairingResult:
    pairing: Pairing
    reasons: tuple[Reason, ...] = ()


def _refuse(decision: Decision) -> None:
    """Overlaps that a rule forbids are 409; every other refusal is 422 (API.md, Pairings)."""
    if not decision.ok:
        head = decision.refusals[0].code
        raise refusal_error(decision, status=409 if head.endswith(".overlap") else 422)


async def _lock_household(session: AsyncSession, principal: Principal,
                          household_id: uuid.UUID) -> Household:
    return await get_scoped(session, principal, Household, household_id, "household",
                            region="village_code", lock=True)


async def _target_region(session: AsyncSession, principal: Principal, code: str,
                         level: str) -> Region:
    region = await session.scalar(select(Region).where(Region.code == code, Region.level == level))
    if region is None or not in_region(principal, code):
        raise NotFound(f"{level}.not_found", f"No such {level}.")
    return region


async def _periods(session: AsyncSession, kind: str, *, household_id: uuid.UUID | None = None,
                   region_code: str | None = None,
                   exclude: uuid.UUID | None = None) -> list[Period]:
    stmt = select(Pairing.start_date, Pairing.end_date).where(Pairing.kind == kind)
    if household_id is not None:
        stmt = stmt.where(Pairing.household_id == household_id)
    if region_code is not None:
        stmt = stmt.where(Pairing.region_code == region_code)
    if exclude is not None:
        stmt = stmt.where(Pairing.id != exclude)
    return [Period(s, e) for s, e in (await session.execute(stmt)).all()]


async def _member_hashes(session: AsyncSession, ring: pii.Ring, household_id: uuid.UUID,
                         period: Period) -> list[str]:
    # P4: anyone who is a member at some time during the pairing (membership is
    # joined_on ≤ d < left_on), compared by keyed hash of the ID number, never in clear; under
    # the current hash key (during a rotation a row may still carry the old key's hash).
    stmt = select(HouseholdMember.id_hash, HouseholdMember.id_number_enc).where(
        HouseholdMember.household_id == household_id,
        or_(HouseholdMember.left_on.is_(None), HouseholdMember.left_on > period.start))
    if period.end is not None:
        stmt = stmt.where(HouseholdMember.joined_on <= period.end)
    return [ring.hashes_of(h, enc)[0].hex() for h, enc in (await session.execute(stmt)).all()]


async def create_pairing(session: AsyncSession, settings: Settings, principal: Principal,
                         data) -> PairingResult:
    """Record a pairing after P3, the shape, and P1+P4 (household_cadre) or P2 (first_secretary)."""
    period_check = rules.check_period(data.start_date, data.end_date)
    _refuse(period_check)
    period = Period(data.start_date, data.end_date)
    helper = await get_helper(session, principal, data.helper_id)
    shape = rules.check_pairing_shape(data.kind, helper.kind, data.household_id is not None,
                                      data.region_code)
    _refuse(shape)
    reasons = [*period_check.reasons, *shape.reasons]
    if data.kind == rules.HOUSEHOLD_CADRE:
        household = await _lock_household(session, principal, data.household_id)
        ring = await pii.ring(session, settings)
        own = rules.check_not_own_household(
            ring.hashes_of(helper.id_hash, helper.id_number_enc)[0].hex()
            if helper.id_hash else None,
            await _member_hashes(session, ring, household.id, period))
        _refuse(own)
        one = rules.check_household_cadre(
            period, await _periods(session, data.kind, household_id=household.id))
        _refuse(one)
        reasons += [*own.reasons, *one.reasons]
        scope = household.village_code
    elif data.kind == rules.FIRST_SECRETARY:
        village = await get_village_region(session, principal, data.region_code, for_update=True)
        await check_pairing_in_user_region(session, helper.id, village.code)  # (十八)
        weak, _status = await weak_in_latest_year(session, village.code, data.start_date.year)
        p2 = rules.check_first_secretary(
            weak, period, await _periods(session, data.kind, region_code=village.code))
        _refuse(p2)
        reasons += p2.reasons
        scope = village.code
    else:
        target = rules.TARGET_OF_KIND[data.kind]
        scope = (await _target_region(session, principal, data.region_code, target)).code
    pairing = Pairing(helper_id=helper.id, kind=data.kind, household_id=data.household_id,
                      region_code=data.region_code, scope_code=scope,
                      start_date=data.start_date, end_date=data.end_date,
                      created_by=principal.actor)
    session.add(pairing)
    await session.flush()
    after = _snapshot(pairing) | {"reasons": [r.as_dict() for r in reasons]}
    await record(session, principal, "pairing.create", "pairing", pairing.id, after=after,
                 region_code=scope)
    await emit(session, "pairing.created", "pairing", pairing.id, scope, after)
    return PairingResult(pairing, tuple(reasons))


def _snapshot(p: Pairing) -> dict:
    return {"id": p.id, "helper_id": p.helper_id, "kind": p.kind, "household_id": p.household_id,
            "region_code": p.region_code, "scope_code": p.scope_code,
            "start_date": p.start_date, "end_date": p.end_date, "version": p.version}


async def get_pairing(session: AsyncSession, principal: Principal,
                      pairing_id: uuid.UUID) -> Pairing:
    return await get_scoped(session, principal, Pairing, pairing_id, "pairing", region="scope_code")


async def end_pairing(session: AsyncSession, principal: Principal, pairing_id: uuid.UUID,
                      end_date: date, check_version: Callable[[int], None]) -> PairingResult:
    """Set the end date of a pairing (P3; and P1/P2 again, since a later end may overlap).

    `check_version` is the If-Match check, run on the locked row so that it cannot go stale."""
    pairing = await get_pairing(session, principal, pairing_id)
    # Same lock order as creation (household or village first), then the pairing itself.
    if pairing.kind == rules.HOUSEHOLD_CADRE:
        await _lock_household(session, principal, pairing.household_id)
    elif pairing.kind == rules.FIRST_SECRETARY:
        await get_village_region(session, principal, pairing.region_code, for_update=True)
    pairing = await session.scalar(select(Pairing).where(Pairing.id == pairing_id)
                                   .with_for_update().execution_options(populate_existing=True))
    check_version(pairing.version)
    period_check = rules.check_period(pairing.start_date, end_date)
    _refuse(period_check)
    reasons = list(period_check.reasons)
    period = Period(pairing.start_date, end_date)
    if pairing.kind == rules.HOUSEHOLD_CADRE:
        one = rules.check_household_cadre(period, await _periods(
            session, pairing.kind, household_id=pairing.household_id, exclude=pairing.id))
        _refuse(one)
        reasons += one.reasons
    elif pairing.kind == rules.FIRST_SECRETARY:
        # P2's weak-village condition was met when the secretary was assigned; changing the end
        # only needs the one-secretary-at-a-time half of the rule.
        assigned = Decision(True, (Reason("P2", "十八", "village was weak when assigned"),))
        p2 = rules.check_first_secretary(assigned, period, await _periods(
            session, pairing.kind, region_code=pairing.region_code, exclude=pairing.id))
        _refuse(p2)
        reasons += p2.reasons[1:]
    before = _snapshot(pairing)
    pairing.end_date = end_date
    pairing.version += 1
    pairing.updated_at = func.now()
    await session.flush()
    await session.refresh(pairing)
    after = _snapshot(pairing) | {"reasons": [r.as_dict() for r in reasons]}
    await record(session, principal, "pairing.end", "pairing", pairing.id, before=before,
                 after=after, region_code=pairing.scope_code)
    await emit(session, "pairing.ended", "pairing", pairing.id, pairing.scope_code, after)
    return PairingResult(pairing, tuple(reasons))


async def list_pairings(session: AsyncSession, principal: Principal, params: PageParams, *,
                        helper_id: uuid.UUID | None = None, kind: str | None = None,
                        household_id: uuid.UUID | None = None, region_code: str | None = None,
                        active_on: date | None = None):
    """Pairings in the caller's region (by the household's village or the target region)."""
    stmt = select(Pairing).where(region_filter(principal, Pairing.scope_code))
    if helper_id:
        stmt = stmt.where(Pairing.helper_id == helper_id)
    if kind:
        stmt = stmt.where(Pairing.kind == kind)
    if household_id:
        stmt = stmt.where(Pairing.household_id == household_id)
    if region_code:
        stmt = stmt.where(Pairing.scope_code.like(f"{region_prefix(region_code)}%"))
    if active_on:
        stmt = stmt.where(Pairing.start_date <= active_on,
                          or_(Pairing.end_date.is_(None), Pairing.end_date >= active_on))
    return await paginate(session, stmt, [Pairing.id], params)

