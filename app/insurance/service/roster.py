"""Roster generation (十三, I2, I4): set-based, idempotent, never altering confirmed rows.

One generation, for the caller's region: lock the scheme row (concurrent generations and
confirmations of the same roster serialise on it), read every eligible person with basis and
reasons from the person timelines (one query: the rules wrote the answers), diff against the stored
rows with the pure `roster_diff`, and write each kind of change with ONE statement over unnest() arrays, its
history rows in the same statement. Every UPDATE repeats the state it expects, so a row is only
ever moved from the state the diff saw.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import principal_prefix
from app.errors import NotFound
from app.events.service import emit
from app.insurance.evaluation import Candidate, Pricing, eligible_on
from app.insurance.service.schemes import get_scheme, scheme_shares
from app.models.insurance import InsuranceRosterRun, InsuranceScheme
from app.policy.insurance import CONFIRMED, PENDING, WITHDRAWN, roster_diff, share_amounts

_EXISTING = text("""
SELECT id, person_id, state, flagged, household_id, name, village_code, amount, share_city,
       share_district, share_town, basis, reasons
FROM insurance_roster_entry
WHERE scheme_id = :scheme AND (village_code LIKE :prefix OR person_id = ANY(:persons))
""").columns(reasons=JSONB)

_HISTORY = """
INSERT INTO insurance_entry_history (entry_id, state, flagged, reason, source, actor)
SELECT id, state, flagged, CAST(:why AS text), 'generation', CAST(:actor AS text) FROM changed
"""

_INSERT = text("""
WITH changed AS (
    INSERT INTO insurance_roster_entry (scheme_id, person_id, household_id, id_number_enc,
        id_hash, name, village_code, district_code, amount, share_city, share_district,
        share_town, basis, reasons, state, flagged)
    SELECT CAST(:scheme AS uuid), v.person_id, v.household_id, v.enc, v.hash, v.name,
           v.village, substr(v.village, 1, 6) || '000000', CAST(:amount AS numeric),
           CAST(:share_city AS numeric), CAST(:share_district AS numeric),
           CAST(:share_town AS numeric), v.basis, v.reasons::jsonb, 'pending', false
    FROM unnest(CAST(:person_ids AS uuid[]), CAST(:household_ids AS uuid[]),
                CAST(:encs AS bytea[]), CAST(:hashes AS bytea[]), CAST(:names AS text[]),
                CAST(:villages AS text[]), CAST(:bases AS text[]), CAST(:reasons AS text[]))
         AS v(person_id, household_id, enc, hash, name, village, basis, reasons)
    RETURNING id, state, flagged
)""" + _HISTORY)

# A pending row refreshed, or a withdrawn row eligible again (back to pending).
_REFRESH = text("""
WITH changed AS (
    UPDATE insurance_roster_entry e
    SET state = 'pending', household_id = v.household_id, name = v.name,
        village_code = v.village, district_code = substr(v.village, 1, 6) || '000000',
        amount = :amount, share_city = :share_city, share_district = :share_district,
        share_town = :share_town, basis = v.basis, reasons = v.reasons::jsonb, updated_at = now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:household_ids AS uuid[]), CAST(:names AS text[]),
                CAST(:villages AS text[]), CAST(:bases AS text[]), CAST(:reasons AS text[]))
         AS v(id, household_id, name, village, basis, reasons)
    WHERE e.id = v.id AND e.state = :from_state
    RETURNING e.id, e.state, e.flagged
)""" + _HISTORY)

_WITHDRAW = text("""
WITH changed AS (
    UPDATE insurance_roster_entry SET state = 'withdrawn', updated_at = now()
    WHERE id = ANY(:ids) AND state = 'pending'
    RETURNING id, state, flagged
)""" + _HISTORY)

# (I2) a confirmed row is never altered; whether its person still qualifies is only a flag.
_FLAG = text("""
WITH changed AS (
    UPDATE insurance_roster_entry SET flagged = :flag, updated_at = now()
    WHERE id = ANY(:ids) AND state = 'confirmed' AND flagged <> :flag
    RETURNING id, state, flagged
)""" + _HISTORY)

_TOTALS = text("""
SELECT count(*) AS entries,
       count(*) FILTER (WHERE state = 'pending') AS pending,
       count(*) FILTER (WHERE state = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE state = 'rejected') AS rejected,
       count(*) FILTER (WHERE state = 'withdrawn') AS withdrawn,
       count(*) FILTER (WHERE flagged) AS flagged,
       coalesce(sum(amount) FILTER (WHERE state IN ('pending', 'confirmed')), 0) AS amount,
       coalesce(sum(amount) FILTER (WHERE state = 'confirmed'), 0) AS confirmed_amount
FROM insurance_roster_entry WHERE scheme_id = :scheme AND village_code LIKE :prefix
""")


@dataclass(frozen=True, slots=True)
class RosterResult:
    scheme: InsuranceScheme
    region_code: str
    added: int
    removed: int
    unchanged: int
    flagged: int
    refreshed: int
    totals: dict


def pricing_of(scheme: InsuranceScheme) -> Pricing:
    """(I1, I4) the premium, and for major illness the yuan of each level (to the fen)."""
    shares = scheme_shares(scheme)
    return Pricing(scheme.premium, share_amounts(scheme.premium, shares) if shares else None)


def _price_params(p: Pricing) -> dict:
    s = p.shares
    return {"amount": p.amount, "share_city": s.city if s else None,
            "share_district": s.district if s else None, "share_town": s.town if s else None}


def _differs(row, c: Candidate, p: Pricing) -> bool:
    s = p.shares
    stored = (row.household_id, row.name, row.village_code, row.amount, row.share_city,
              row.share_district, row.share_town, row.basis, row.reasons)
    fresh = (c.household_id, c.name, c.village_code, p.amount, s.city if s else None,
             s.district if s else None, s.town if s else None, c.basis, c.reasons)
    return stored != fresh


def _columns(cands: list[Candidate]) -> dict:
    return {"household_ids": [c.household_id for c in cands], "names": [c.name for c in cands],
            "villages": [c.village_code for c in cands], "bases": [c.basis for c in cands],
            "reasons": [c.reasons_json for c in cands]}


async def _write(session: AsyncSession, stmt, params: dict, base: dict) -> int:
    result = await session.execute(stmt, {**base, **params})
    return result.rowcount or 0


async def eligible_candidates(session: AsyncSession, on: date, prefix: str,
                              kind: str) -> dict[uuid.UUID, Candidate]:
    """(I2) every person under `prefix` eligible on `on` for the scheme kind, set-based."""
    return await eligible_on(session, on, prefix, kind)


async def generate_roster(session: AsyncSession, principal: Principal, year: int,
                          kind: str, *, reads: AsyncSession | None = None) -> RosterResult:
    """(十三, I2) generate or refresh the roster of (year, kind) over the caller's region.

    `reads` (default `session`) answers who is eligible: a read replica's session once it has
    the caller's own writes. The stored rows, the diff's writes and the scheme lock are on the
    primary (`session`)."""
    prefix = principal_prefix(principal)
    if prefix is None:
        raise NotFound("insurance.scheme.not_found", f"No {kind} scheme for {year}.")
    scheme = await get_scheme(session, year, kind, lock=True)
    on = scheme.reference_date
    pricing = pricing_of(scheme)
    eligible = await eligible_candidates(reads or session, on, prefix, kind)
    rows = (await session.execute(_EXISTING, {"scheme": scheme.id, "prefix": f"{prefix}%",
                                              "persons": list(eligible)})).all()
    by_person = {r.person_id: r for r in rows}
    diff = roster_diff({r.person_id: r.state for r in rows}, set(eligible))

    base = {"scheme": scheme.id, "actor": principal.actor, **_price_params(pricing)}
    refreshed = await _apply_diff(session, diff, eligible, by_person, pricing, base, on)
    return await _conclude(session, principal, scheme, kind, prefix, diff, refreshed)


async def _apply_diff(session: AsyncSession, diff, eligible: dict, by_person: dict, pricing,
                      base: dict, on: date) -> int:
    """(I2) write the diff: new rows, the withdrawn eligible again, pending rows whose amount,
    basis or reasons changed, withdrawals and the flags of confirmed rows; answers how many
    pending rows were refreshed."""
    new = [eligible[p] for p in diff.added if p not in by_person]
    back = [eligible[p] for p in diff.added if p in by_person]
    stale = [eligible[p] for p in diff.unchanged
             if p in eligible and by_person[p].state == PENDING
             and _differs(by_person[p], eligible[p], pricing)]
    if new:
        await _write(session, _INSERT, {
            "person_ids": [c.person_id for c in new], "encs": [c.id_number_enc for c in new],
            "hashes": [c.id_hash for c in new], **_columns(new),
            "why": f"eligible on {on.isoformat()}"}, base)
    if back:
        await _write(session, _REFRESH, {
            "ids": [by_person[c.person_id].id for c in back], **_columns(back),
            "from_state": WITHDRAWN, "why": f"eligible again on {on.isoformat()}"}, base)
    refreshed = 0
    if stale:
        refreshed = await _write(session, _REFRESH, {
            "ids": [by_person[c.person_id].id for c in stale], **_columns(stale),
            "from_state": PENDING, "why": "amount, basis or reasons refreshed"}, base)
    await _flag(session, diff, eligible, by_person, base, on)
    return refreshed


async def _flag(session: AsyncSession, diff, eligible: dict, by_person: dict, base: dict,
                on: date) -> None:
    """(I3) withdraw the pending no longer eligible, flag the confirmed ones, and clear the
    flag of confirmed rows eligible again."""
    if diff.withdrawn:
        await _write(session, _WITHDRAW, {
            "ids": [by_person[p].id for p in diff.withdrawn],
            "why": f"no longer eligible on {on.isoformat()}"}, base)
    if diff.flagged:
        await _write(session, _FLAG, {
            "ids": [by_person[p].id for p in diff.flagged], "flag": True,
            "why": f"confirmed, but no longer eligible on {on.isoformat()}"}, base)
    cleared = [by_person[p].id for p in diff.unchanged
               if p in eligible and by_person[p].state == CONFIRMED and by_person[p].flagged]
    if cleared:
        await _write(session, _FLAG, {"ids": cleared, "flag": False,
                                      "why": f"eligible again on {on.isoformat()}"}, base)


async def _conclude(session: AsyncSession, principal: Principal, scheme, kind: str, prefix: str,
                    diff, refreshed: int) -> RosterResult:
    """The roster's totals, its run, audit row and event."""
    on, year = scheme.reference_date, scheme.year
    totals = dict((await session.execute(_TOTALS, {"scheme": scheme.id,
                                                   "prefix": f"{prefix}%"})).one()._mapping)
    result = RosterResult(scheme, principal.region_code, len(diff.added), len(diff.withdrawn),
                          len(diff.unchanged), len(diff.flagged), refreshed, totals)
    counts = {"added": result.added, "removed": result.removed, "unchanged": result.unchanged,
              "flagged": result.flagged, "refreshed": refreshed}
    session.add(InsuranceRosterRun(
        scheme_id=scheme.id, scheme_version=scheme.version, region_code=principal.region_code,
        reference_date=on, generated_by=principal.actor, **counts))
    summary = {"year": year, "kind": kind, "reference_date": on, **counts,
               "totals": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in totals.items()}}
    await record(session, principal, "insurance.roster.generate", "insurance_scheme", scheme.id,
                 after=summary, region_code=principal.region_code)
    await emit(session, "insurance.roster.generated", "insurance_scheme", scheme.id,
               principal.region_code, summary)
    return result
