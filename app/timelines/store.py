"""Loading households' histories set-wise, and writing, rebuilding and checking their timelines.

Synchronous on purpose: these functions run on the ORM `Session` inside the async session's own
greenlet (`AsyncSession.run_sync`, or the `before_commit` hook of `track`), so they write in the
same transaction as the facts that changed. A handful of queries per chunk of households, never
one per household; rows go in with COPY.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import chain

import orjson
from asyncpg import Range
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from app.policy.history import (
    AssessmentRow,
    AttributeRow,
    EventRow,
    GrantRow,
    HouseholdHistory,
    HouseholdRef,
    MeasureRow,
    MemberRow,
    StandardRow,
)
from app.policy.lines import CITY_REGION_CODE, LineVersion, district_code_of
from app.policy.timeline import Timeline, build
from app.policy_lines.service import POLICY_LOCK
from app.timelines import builders

CHUNK = 1000

_Q = {
    "households": "SELECT id, village_code FROM household WHERE id = ANY(:ids) ORDER BY id",
    "events": """SELECT household_id, kind, occurred_on, seq, retention_months
                 FROM household_event WHERE household_id = ANY(:ids)
                 ORDER BY household_id, occurred_on, seq""",
    "members": """SELECT id, household_id, birth_date, joined_on, left_on FROM household_member
                  WHERE household_id = ANY(:ids) ORDER BY household_id, joined_on, relation, id""",
    "versions": """SELECT v.id, v.member_id, v.effective_from, v.labour_capacity, v.health,
                          v.disability_category, v.disability_grade, v.in_school,
                          v.stable_nonfarm_employment, v.tekun_since
                   FROM member_attribute_version v JOIN household_member m ON m.id = v.member_id
                   WHERE m.household_id = ANY(:ids) ORDER BY v.effective_from, v.id""",
    "assessments": """SELECT id, household_id, year, assessed_on, version, wage_income,
                             business_income, property_income, transfer_income, production_costs
                      FROM household_assessment WHERE household_id = ANY(:ids)
                      ORDER BY household_id, year, version""",
    "measures": """SELECT household_id, start_date, end_date, income_generating
                   FROM household_measure WHERE household_id = ANY(:ids)
                   ORDER BY household_id, start_date, id""",
    "cases": """SELECT id, household_id, start_month, single_person_member_id, region_code,
                       applied_on, declared_monthly_income FROM dibao_case
                WHERE household_id = ANY(:ids) ORDER BY household_id, created_at, id""",
    "steps": """SELECT s.case_id, s.action, s.on FROM dibao_case_step s
                JOIN dibao_case c ON c.id = s.case_id
                WHERE c.household_id = ANY(:ids) AND s.action <> 'apply'
                ORDER BY s.case_id, s.seq""",
    "lines": """SELECT region_code, effective_from, amount FROM poverty_line
                WHERE applied_at IS NOT NULL ORDER BY id""",
    "standards": """SELECT region_code, effective_from, amount FROM dibao_standard
                    WHERE region_code = ANY(:codes) ORDER BY region_code, effective_from""",
}


def _rows(session: Session, name: str, ids: list) -> list:
    return list(session.execute(text(_Q[name]), {"ids": ids}).all())


def _standards(session: Session, grants: Iterable[list[GrantRow]]) -> dict[str, list]:
    """The dibao standards (D1) of the 市(區) these grants are in, by district."""
    codes = sorted({district_code_of(g.region_code) for gs in grants for g in gs})
    out: dict[str, list] = defaultdict(list)
    if codes:
        for r in session.execute(text(_Q["standards"]), {"codes": codes}):
            out[r.region_code].append(StandardRow(r.region_code, r.effective_from, r.amount))
    return out


def load_histories(session: Session, ids: Iterable[uuid.UUID]) -> list[HouseholdHistory]:
    """The histories of these households, in ten queries."""
    ids = list(ids)
    if not ids:
        return []
    by: dict[str, dict] = {k: defaultdict(list) for k in ("events", "members", "assessments",
                                                         "measures", "cases")}
    for r in _rows(session, "events", ids):
        by["events"][r.household_id].append(EventRow(r.kind, r.occurred_on, r.seq,
                                                     r.retention_months))
    for r in _rows(session, "members", ids):
        by["members"][r.household_id].append(MemberRow(r.id, r.birth_date, r.joined_on, r.left_on))
    versions: dict = defaultdict(list)
    for r in _rows(session, "versions", ids):
        versions[r.member_id].append(AttributeRow(
            r.id, r.member_id, r.effective_from, r.labour_capacity, r.health,
            r.disability_category, r.disability_grade, r.in_school,
            r.stable_nonfarm_employment, r.tekun_since))
    for r in _rows(session, "assessments", ids):
        by["assessments"][r.household_id].append(AssessmentRow(
            r.id, r.year, r.assessed_on, r.version, r.wage_income, r.business_income,
            r.property_income, r.transfer_income, r.production_costs))
    for r in _rows(session, "measures", ids):
        by["measures"][r.household_id].append(MeasureRow(r.start_date, r.end_date,
                                                         r.income_generating))
    steps: dict = defaultdict(list)
    for r in _rows(session, "steps", ids):
        steps[r.case_id].append((r.action, r.on))
    for r in _rows(session, "cases", ids):
        by["cases"][r.household_id].append(GrantRow(
            r.id, r.start_month, r.single_person_member_id, tuple(steps.get(r.id, ())),
            r.region_code, r.applied_on, r.declared_monthly_income))
    standards = _standards(session, by["cases"].values())
    lines = [LineVersion(r.region_code, r.effective_from, r.amount)
             for r in session.execute(text(_Q["lines"])).all()]
    out = []
    for h in _rows(session, "households", ids):
        members = by["members"].get(h.id, [])
        codes = {CITY_REGION_CODE, district_code_of(h.village_code)}
        out.append(HouseholdHistory(
            household=HouseholdRef(h.id, h.village_code), events=by["events"].get(h.id, []),
            members=members, versions={m.id: versions[m.id] for m in members if m.id in versions},
            assessments=by["assessments"].get(h.id, []), measures=by["measures"].get(h.id, []),
            grants=by["cases"].get(h.id, []),
            lines=[line for line in lines if line.region_code in codes],
            standards=[s for d in dict.fromkeys(district_code_of(g.region_code)
                                                for g in by["cases"].get(h.id, ()))
                       for s in standards.get(d, ())]))
    return out


HOUSEHOLD_COLUMNS = ("household_id", "valid", "village_code", "status", "support_type",
                     "registered_on", "exit_date", "retention_end", "persons", "assessment_id",
                     "assessment_year", "net_income", "per_capita_income", "line_amount",
                     "line_region", "line_from", "target_met", "answers")
PERSON_COLUMNS = ("person_id", "household_id", "valid", "ordinal", "birth_date", "is_member",
                  "attributes", "dibao_covered", "dibao_detail", "dibao_case_id", "dibao_amount",
                  "entitlements")


def _default(v) -> str:
    return v.isoformat() if isinstance(v, date) else str(v)  # Decimal (and anything else)


def _json(value) -> str:
    # jsonb keeps its own key order: the text's order changes nothing stored. orjson writes
    # dates, UUIDs and tuples itself (as ISO dates, canonical UUIDs and arrays, like `_default`).
    return orjson.dumps(value, default=_default).decode()


def timeline_rows(tl: Timeline, village_code: str) -> tuple[list[tuple], list[tuple]]:
    """The stored rows of a timeline, in the column order of HOUSEHOLD_/PERSON_COLUMNS."""
    houses = [(tl.household_id, Range(s.valid_from, s.valid_to), village_code, s.status,
               s.support_type, s.registered_on, s.exit_date, s.retention_end, s.persons,
               s.assessment_id, s.assessment_year, s.net_income, s.per_capita_income,
               s.line_amount, s.line_region, s.line_from, s.target_met,
               _json({"support_reason": s.support_reason, "target_reasons": s.target_reasons,
                      "target_refusals": s.target_refusals, "entitlements": s.entitlements}))
              for s in tl.households]
    order = {pid: i for i, pid in enumerate(dict.fromkeys(p.person_id for p in tl.persons))}
    persons = [(p.person_id, tl.household_id, Range(p.valid_from, p.valid_to),
                order[p.person_id], p.birth_date, p.is_member,
                _json(p.attributes) if p.attributes is not None else None, p.dibao_covered,
                p.dibao_detail, p.dibao_case_id, p.dibao_amount, _json(p.entitlements))
               for p in tl.persons]
    return houses, persons


def _driver(session: Session):
    return session.connection().connection.driver_connection


def _chunks(ids: list, size: int) -> Iterator[list]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _delete(session: Session, part: list) -> None:
    session.execute(text("DELETE FROM person_timeline WHERE household_id = ANY(:ids)"),
                    {"ids": part})
    session.execute(text("DELETE FROM household_timeline WHERE household_id = ANY(:ids)"),
                    {"ids": part})


def refresh(session: Session, household_ids: Iterable[uuid.UUID], chunk: int = CHUNK,
            processes: int | None = None) -> int:
    """Rewrite the timelines of these households from their facts; answers how many."""
    return refresh_parts(session, _chunks(sorted(set(household_ids)), chunk), processes)


def refresh_parts(session: Session, parts: Iterable[list], processes: int | None = None) -> int:
    """`refresh` of households given a chunk at a time (an import reads them through a cursor).

    From the second chunk on, with more than one builder process (`processes`, else the
    setting), the rules run in those processes while this one reads the next histories and
    writes the rows built (`_refresh_parallel`). Otherwise here, a chunk at a time."""
    parts = iter(parts)
    first = next(parts, None)
    if first is None:
        return 0
    _hold_policy_lock(session)
    second = next(parts, None)
    if second is None:
        return _refresh_here(session, first)
    if (n := builders.processes(processes)) > 1:
        return _refresh_parallel(session, chain([first, second], parts), n)
    return sum(_refresh_here(session, part) for part in chain([first, second], parts))


def _hold_policy_lock(session: Session) -> None:
    """Share the policy lock until the transaction ends (taken once per transaction): a line
    being applied (`app.policy_lines.service.POLICY_LOCK`) holds it exclusively."""
    txn = session.get_transaction()
    if txn is not None and session.info.get("timeline.policy_lock") is txn:
        return
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": POLICY_LOCK})
    session.info["timeline.policy_lock"] = txn


def _refresh_here(session: Session, part: list) -> int:
    """One chunk built in this process. The person rows stream into COPY as the rules give
    them, so the server stores and indexes one household's rows while the next is being built;
    the household rows, a fifth as many, follow in a second COPY."""
    histories = load_histories(session, part)
    _delete(session, part)
    houses: list[tuple] = []

    async def persons(histories=histories, houses=houses):
        for h in histories:
            hs, ps = timeline_rows(build(h), h.household.village_code)
            houses += hs
            for row in ps:
                yield row

    conn = _driver(session)
    await_only(conn.copy_records_to_table("person_timeline", records=persons(),
                                          columns=PERSON_COLUMNS))
    if houses:
        await_only(conn.copy_records_to_table("household_timeline", records=houses,
                                              columns=HOUSEHOLD_COLUMNS))
    return len(histories)


def rows_of(histories: list[HouseholdHistory]) -> tuple[list[tuple], list[tuple]]:
    """The household and person rows of these histories' timelines (what a builder answers)."""
    houses: list[tuple] = []
    persons: list[tuple] = []
    for h in histories:
        hs, ps = timeline_rows(build(h), h.household.village_code)
        houses += hs
        persons += ps
    return houses, persons


def _refresh_parallel(session: Session, parts: Iterable[list], n: int) -> int:
    """`refresh` with the rules in `n` builder processes: each chunk's histories are read here
    and sent out in pieces; while the builders work, this process reads the next chunk and
    writes the rows of the oldest piece built, in order. Everything stays in the caller's
    transaction: the builders see no database, only the histories read here."""
    pool = builders.pool(n)
    pending: deque = deque()
    done = 0

    def write(built) -> None:
        # waiting lets the event loop run (the worker's heartbeat), as the COPY does
        houses, persons = await_only(asyncio.wrap_future(built))
        conn = _driver(session)
        await_only(conn.copy_records_to_table("person_timeline", records=persons,
                                              columns=PERSON_COLUMNS))
        if houses:
            await_only(conn.copy_records_to_table("household_timeline", records=houses,
                                                  columns=HOUSEHOLD_COLUMNS))

    try:
        for part in parts:
            histories = load_histories(session, part)
            _delete(session, part)
            for piece in _chunks(histories, builders.PIECE):
                pending.append(pool.submit(rows_of, piece))
                if len(pending) > n:
                    write(pending.popleft())
            done += len(histories)
        while pending:
            write(pending.popleft())
    finally:
        for built in pending:  # a failed write leaves nothing to wait for
            built.cancel()
    return done


def households_under(session: Session, prefix: str | None) -> list[uuid.UUID]:
    """Every household whose village code starts with `prefix` (all without one)."""
    rows = session.execute(text("SELECT id FROM household WHERE village_code LIKE :p ORDER BY id"),
                           {"p": f"{prefix or ''}%"})
    return [r[0] for r in rows]


def without_timeline(session: Session) -> list[uuid.UUID]:
    """Households that have no timeline yet (data from before timelines existed)."""
    return [r[0] for r in session.execute(text(
        "SELECT id FROM household h WHERE NOT EXISTS "
        "(SELECT 1 FROM household_timeline t WHERE t.household_id = h.id) ORDER BY id"))]


# The households' facts a bulk import writes, analysed with their timelines.
FACT_TABLES = ("household", "household_member", "member_attribute_version",
               "household_assessment", "household_event")


def analyze(session: Session, facts: bool = False) -> None:
    """Fresh planner statistics after a bulk write: without them `valid @> D` looks selective and
    the list plans a GiST scan per household (50 s for 20,000 households instead of 0.2 ms).
    With `facts`, the fact tables too: a report just after an import of 20,000 households
    planned a nested loop over the assessments it took for empty (300 s instead of 0.3 s)."""
    for table in ("household_timeline", "person_timeline", *(FACT_TABLES if facts else ())):
        session.execute(text(f"ANALYZE {table}"))


def rebuild(session: Session, prefix: str | None = None, chunk: int = CHUNK) -> int:
    """Rebuild the timelines of every household under `prefix` (all without one)."""
    done = refresh(session, households_under(session, prefix), chunk)
    analyze(session)
    return done


def _stored(session: Session, ids: list) -> tuple[dict, dict]:
    cols = ", ".join(c for c in HOUSEHOLD_COLUMNS if c != "valid")
    houses: dict = defaultdict(list)
    for r in session.execute(text(
            f"SELECT lower(valid) AS lo, upper(valid) AS hi, {cols} FROM household_timeline "
            "WHERE household_id = ANY(:ids) ORDER BY household_id, lower(valid) NULLS FIRST"),
            {"ids": ids}).mappings():
        houses[r["household_id"]].append(dict(r))
    pcols = ", ".join(c for c in PERSON_COLUMNS if c != "valid")
    persons: dict = defaultdict(list)
    for r in session.execute(text(
            f"SELECT lower(valid) AS lo, upper(valid) AS hi, {pcols} FROM person_timeline "
            "WHERE household_id = ANY(:ids) "
            "ORDER BY household_id, ordinal, lower(valid) NULLS FIRST"), {"ids": ids}).mappings():
        persons[r["household_id"]].append(dict(r))
    return houses, persons


def _as_stored(columns: tuple[str, ...], row: tuple) -> dict:
    out = dict(zip(columns, row, strict=True))
    valid = out.pop("valid")
    out["lo"], out["hi"] = valid.lower, valid.upper
    for key in ("answers", "attributes", "entitlements"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def differences(session: Session, prefix: str | None = None, chunk: int = CHUNK) -> list[str]:
    """Households whose stored timeline differs from the one their facts give now, each named
    with the first difference."""
    out: list[str] = []
    for part in _chunks(households_under(session, prefix), chunk):
        houses, persons = _stored(session, part)
        for h in load_histories(session, part):
            hs, ps = timeline_rows(build(h), h.household.village_code)
            want_h = [_as_stored(HOUSEHOLD_COLUMNS, r) for r in hs]
            want_p = [_as_stored(PERSON_COLUMNS, r) for r in ps]
            hid = h.household.id
            for kind, want, have in (("household", want_h, houses.get(hid, [])),
                                     ("person", want_p, persons.get(hid, []))):
                if want != have:
                    out.append(f"household {hid}: {kind} timeline {_first_difference(want, have)}")
    return out


def _first_difference(want: list[dict], have: list[dict]) -> str:
    if len(want) != len(have):
        return f"has {len(have)} segments stored, {len(want)} computed"
    for i, (w, s) in enumerate(zip(want, have, strict=True)):
        for key in w:
            if w[key] != s.get(key):
                return f"segment {i} ({w['lo']}..{w['hi']}): {key} stored {s.get(key)!r}, computed {w[key]!r}"
    return "differs"
