"""Set-based facts for a roster: the `HouseholdFacts` of many households on one date, in a handful
of queries per chunk of households, never one per person.

This is the bulk twin of the timeline builder's `facts_on` (app.policy.timeline). It reads the
same tables, builds the same `HouseholdRecord` shape from plain rows and then
reuses that module's pure helpers (status, exit in force, retention, membership on a date, support
type, the MemberFacts builder), so both loaders answer alike; a test compares them. What differs
is how dibao coverage is asked: once for every member current on the date, and once per distinct
day-before-exit among retained households (R7 snapshot), instead of once per household.

Queries per chunk: households, events, members, attribute versions, coverage on the date, plus one
coverage call per distinct exit date in the chunk. Candidates (households registered on the date,
or exited with the date inside the retention) come from their timelines, one query for the region.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.dibao.coverage import member_coverage
from app.households.facts import (
    HouseholdRecord,
    exit_in_force,
    facts_from,
    members_on,
)
from app.policy.dates import day_before
from app.policy.entitlements import HouseholdFacts

CHUNK = 5_000  # households per chunk: bounds memory, keeps the query count a handful per chunk
# Member ids per call of the dibao coverage hook: it binds one parameter per id, and asyncpg takes
# at most 32,767 parameters a query.
COVERAGE_SLICE = 2_000

# Registered on the date, or exited and retained then (R6, R7): as the rules wrote them into the
# households' timelines.
_CANDIDATES = text("""
SELECT household_id FROM household_timeline
WHERE valid @> CAST(:on AS date) AND village_code LIKE :prefix
  AND (status = 'registered' OR (status = 'exited' AND retention_end >= CAST(:on AS date)))
ORDER BY household_id
""")

_HOUSEHOLDS = text("""
SELECT id, village_code, registered_on FROM household WHERE id = ANY(:ids)
""")
_EVENTS = text("""
SELECT household_id, kind, occurred_on, seq, retention_months FROM household_event
WHERE household_id = ANY(:ids) ORDER BY household_id, occurred_on, seq
""")
_MEMBERS = text("""
SELECT id, household_id, name, id_number_enc, id_hash, birth_date, joined_on, left_on
FROM household_member WHERE household_id = ANY(:ids)
ORDER BY household_id, joined_on, relation, id
""")
_VERSIONS = text("""
SELECT v.id, v.member_id, v.effective_from, v.labour_capacity, v.health, v.disability_category,
       v.disability_grade, v.in_school, v.stable_nonfarm_employment, v.tekun_since
FROM member_attribute_version v JOIN household_member m ON m.id = v.member_id
WHERE m.household_id = ANY(:ids)
ORDER BY v.effective_from, v.id
""")


@dataclass(frozen=True, slots=True)
class Loaded:
    """One household's facts on the date with its stored record (for names, ID numbers, village)."""

    record: HouseholdRecord
    facts: HouseholdFacts


async def candidate_households(session: AsyncSession, on: date, prefix: str) -> list[uuid.UUID]:
    """Households whose village lies under `prefix` that are registered on `on`, or exited with
    `on` within the retention (R6, R7), read from their timelines: one query."""
    rows = await session.execute(_CANDIDATES, {"on": on, "prefix": f"{prefix}%"})
    return [r[0] for r in rows]


async def load_records(session: AsyncSession, ids: list[uuid.UUID]) -> list[HouseholdRecord]:
    """The stored records of these households (events, members, versions) in four queries."""
    households = (await session.execute(_HOUSEHOLDS, {"ids": ids})).all()
    events: dict[uuid.UUID, list] = defaultdict(list)
    for e in (await session.execute(_EVENTS, {"ids": ids})).all():
        events[e.household_id].append(e)
    members: dict[uuid.UUID, list] = defaultdict(list)
    for m in (await session.execute(_MEMBERS, {"ids": ids})).all():
        members[m.household_id].append(m)
    versions: dict[uuid.UUID, list] = defaultdict(list)
    for v in (await session.execute(_VERSIONS, {"ids": ids})).all():
        versions[v.member_id].append(v)
    out = []
    for h in households:
        ms = members.get(h.id, [])
        out.append(HouseholdRecord(
            household=h, events=events.get(h.id, []), members=ms,
            versions={m.id: versions[m.id] for m in ms if m.id in versions},
            assessments=[], measures=[]))
    return out


async def _coverage(session: AsyncSession, ids: list[uuid.UUID], on: date) -> dict[uuid.UUID, str]:
    out: dict[uuid.UUID, str] = {}
    for start in range(0, len(ids), COVERAGE_SLICE):
        out.update(await member_coverage(session, ids[start:start + COVERAGE_SLICE], on))
    return out


async def facts_of_records(session: AsyncSession, records: list[HouseholdRecord],
                           on: date) -> list[Loaded]:
    """Section 3 + R7: the HouseholdFacts of each record on `on`, with the day-before-exit
    snapshot of exited households; dibao coverage asked once per distinct date."""
    current = [m.id for rec in records for m in members_on(rec, on)]
    coverage = await _coverage(session, current, on)
    by_exit: dict[date, list[HouseholdRecord]] = defaultdict(list)
    for rec in records:
        event = exit_in_force(rec, on)
        if event is not None:
            by_exit[event.occurred_on].append(rec)
    snapshots: dict[uuid.UUID, HouseholdFacts] = {}
    for exit_date, recs in sorted(by_exit.items()):
        before = day_before(exit_date)
        ids = [m.id for rec in recs for m in members_on(rec, before)]
        cov = await _coverage(session, ids, before)
        for rec in recs:
            snapshots[rec.household.id] = facts_from(rec, before, cov, None)
    return [Loaded(rec, facts_from(rec, on, coverage, snapshots.get(rec.household.id)))
            for rec in records]


async def roster_facts(session: AsyncSession, on: date, prefix: str,
                       chunk: int = CHUNK) -> AsyncIterator[list[Loaded]]:
    """Every candidate household under `prefix` on `on`, in chunks of `chunk` households."""
    ids = await candidate_households(session, on, prefix)
    for start in range(0, len(ids), chunk):
        records = await load_records(session, ids[start:start + chunk])
        yield await facts_of_records(session, records, on)
