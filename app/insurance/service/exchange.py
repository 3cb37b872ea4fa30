"""The exchange with the health-insurance system (十三, I3): roster pages, the CSV export and the
bulk confirmations it posts back.

ID numbers leave the system unmasked only for `pii:read`, and every unmasked read (a page or an
export) writes one `pii.read` audit row naming the roster and how many numbers were shown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import principal_prefix, region_filter
from app.config import Settings
from app.errors import DomainError, NotFound
from app.events.service import emit
from app.insurance.schemas import MAX_CONFIRMATIONS
from app.insurance.service.schemes import get_scheme
from app.kit import cells
from app.kit.pagination import PageParams, paginate
from app.models.insurance import InsuranceRosterEntry, InsuranceScheme
from app.pii import decrypt
from app.policy.errors import PolicyError
from app.policy.ids import mask_id, parse_id_number
from app.policy.insurance import RESULT_OK, check_confirmation

CSV_COLUMNS = ("person_id", "id_number", "name", "household_id", "village_code", "district_code",
               "amount", "share_city", "share_district", "share_town", "basis", "state",
               "flagged", "state_reason", "reasons")
EXPORT_BATCH = 2_000


def shown_id(settings: Settings, principal: Principal, blob: bytes) -> str:
    number = decrypt(settings, blob)
    return number if principal.has("pii:read") else mask_id(number)


def entry_dict(settings: Settings, principal: Principal, e) -> dict:
    """The answer shape of a roster entry (ID number masked unless pii:read)."""
    shares = None
    if e.share_city is not None:
        shares = {"city": e.share_city, "district": e.share_district, "town": e.share_town}
    return {"id": e.id, "person_id": e.person_id,
            "id_number": shown_id(settings, principal, e.id_number_enc), "name": e.name,
            "household_id": e.household_id, "village_code": e.village_code,
            "district_code": e.district_code, "amount": e.amount, "shares": shares,
            "basis": e.basis, "reasons": e.reasons, "state": e.state,
            "state_reason": e.state_reason, "flagged": e.flagged, "updated_at": e.updated_at}


def _entries(scheme: InsuranceScheme, principal: Principal, state: str | None,
             flagged: bool | None, district_code: str | None):
    stmt = select(InsuranceRosterEntry).where(
        InsuranceRosterEntry.scheme_id == scheme.id,
        region_filter(principal, InsuranceRosterEntry.village_code))
    if state is not None:
        stmt = stmt.where(InsuranceRosterEntry.state == state)
    if flagged is not None:
        stmt = stmt.where(InsuranceRosterEntry.flagged == flagged)
    if district_code is not None:
        stmt = stmt.where(InsuranceRosterEntry.district_code == district_code)
    return stmt


async def _pii_read(session: AsyncSession, principal: Principal, scheme: InsuranceScheme,
                    count: int, how: str) -> None:
    if principal.has("pii:read") and count:
        await record(session, principal, "pii.read", "insurance_roster", scheme.id,
                     after={"roster": f"{scheme.year}/{scheme.kind}", "count": count, "via": how},
                     region_code=principal.region_code)


async def list_entries(session: AsyncSession, settings: Settings, principal: Principal,
                       year: int, kind: str, params: PageParams, *, state: str | None = None,
                       flagged: bool | None = None, district_code: str | None = None):
    """(I3) one keyset page of the roster in the caller's region."""
    scheme = await get_scheme(session, year, kind)
    stmt = _entries(scheme, principal, state, flagged, district_code)
    rows, cursor = await paginate(session, stmt, [InsuranceRosterEntry.id], params)
    await _pii_read(session, principal, scheme, len(rows), "page")
    return [entry_dict(settings, principal, r) for r in rows], cursor


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    chunks: AsyncIterator[bytes]


def _csv_line(values: list) -> bytes:
    return cells.csv_line(values).encode("utf-8")


def _reasons_text(reasons: list[dict]) -> str:
    return "; ".join(f"{r['rule']} ({r['clause']}): {r['detail']}" for r in reasons)


async def csv_export(session: AsyncSession, reader: async_sessionmaker[AsyncSession],
                     settings: Settings, principal: Principal, year: int, kind: str, *,
                     state: str | None = None, flagged: bool | None = None,
                     district_code: str | None = None) -> Export:
    """(I3) the roster as CSV (UTF-8 with BOM, header row), counted and streamed in keyset
    batches from sessions of `reader` (the read replica's once it has the caller's own writes,
    else the primary's); the pii.read audit row is written in the request's transaction."""
    scheme = await get_scheme(session, year, kind)
    stmt = _entries(scheme, principal, state, flagged, district_code)
    async with reader() as r:
        count = await r.scalar(select(text("count(*)")).select_from(stmt.subquery()))
    await _pii_read(session, principal, scheme, int(count or 0), "csv")

    async def chunks() -> AsyncIterator[bytes]:
        yield "\ufeff".encode() + _csv_line(list(CSV_COLUMNS))
        after = 0
        async with reader() as s:
            while True:
                batch = list((await s.scalars(stmt.where(InsuranceRosterEntry.id > after)
                                              .order_by(InsuranceRosterEntry.id)
                                              .limit(EXPORT_BATCH))).all())
                if not batch:
                    break
                out = bytearray()
                for e in batch:
                    d = entry_dict(settings, principal, e)
                    sh = d["shares"] or {}
                    out += _csv_line([d["person_id"], d["id_number"], d["name"],
                                      d["household_id"], d["village_code"], d["district_code"],
                                      d["amount"], sh.get("city", ""), sh.get("district", ""),
                                      sh.get("town", ""), d["basis"], d["state"],
                                      "true" if d["flagged"] else "false",
                                      d["state_reason"] or "", _reasons_text(d["reasons"])])
                yield bytes(out)
                after = batch[-1].id

    return Export(f"roster-{year}-{kind}.csv", chunks())


# --- I3 confirmations ------------------------------------------------------------------------

_MEMBER_HASHES = text("""
SELECT DISTINCT m.id_hash FROM household_member m JOIN household h ON h.id = m.household_id
WHERE m.id_hash = ANY(:hashes) AND h.village_code LIKE :prefix
""")

# A person's live row (pending, confirmed, rejected) wins over a withdrawn one.
_ROWS = text("""
SELECT DISTINCT ON (id_hash) id, id_hash, state FROM insurance_roster_entry
WHERE scheme_id = :scheme AND id_hash = ANY(:hashes) AND village_code LIKE :prefix
ORDER BY id_hash, (state = 'withdrawn'), id DESC
""")

_APPLY = text("""
WITH changed AS (
    UPDATE insurance_roster_entry e
    SET state = v.state, state_reason = v.reason, updated_at = now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:states AS text[]), CAST(:reasons AS text[]))
         AS v(id, state, reason)
    WHERE e.id = v.id AND e.state <> v.state AND e.state <> 'withdrawn'
    RETURNING e.id, e.state, e.flagged, e.state_reason
)
INSERT INTO insurance_entry_history (entry_id, state, flagged, reason, source, actor)
SELECT id, state, flagged, state_reason, 'confirmation', CAST(:actor AS text) FROM changed
""")


@dataclass(frozen=True, slots=True)
class Outcome:
    scheme: InsuranceScheme
    applied: int
    counts: dict[str, int]
    results: list[dict]


def _normalise(number: str) -> str | None:
    try:
        return parse_id_number(number).number
    except PolicyError:
        return None


async def apply_confirmations(session: AsyncSession, settings: Settings, principal: Principal,
                              year: int, kind: str, items: list) -> Outcome:
    """(十三, I3) apply the health-insurance system's answers in one transaction, with a result
    per row; a replayed batch finds every row already in its state and changes nothing."""
    if len(items) > MAX_CONFIRMATIONS:
        raise DomainError("insurance.confirmations.too_many",
                          f"{len(items)} rows; at most {MAX_CONFIRMATIONS} per request.",
                          status=413)
    prefix = principal_prefix(principal)
    if prefix is None:
        raise NotFound("insurance.scheme.not_found", f"No {kind} scheme for {year}.")
    scheme = await get_scheme(session, year, kind, lock=True)
    numbers = [_normalise(i.id_number) for i in items]
    hashes, known, rows = await _lookup(session, settings, scheme, prefix, numbers)
    results, apply = _results(principal, items, numbers, hashes, known, rows)
    applied = 0
    if apply:
        ids = list(apply)
        changed = await session.execute(_APPLY, {
            "ids": ids, "states": [apply[i][0] for i in ids],
            "reasons": [apply[i][1] for i in ids], "actor": principal.actor})
        applied = changed.rowcount or 0
    counts: dict[str, int] = {}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    by_state = {s: sum(1 for v in apply.values() if v[0] == s) for s in ("confirmed", "rejected")}
    summary = {"year": year, "kind": kind, "received": len(items), "applied": applied,
               "counts": counts}
    await record(session, principal, "insurance.roster.confirmations", "insurance_scheme",
                 scheme.id, after=summary, region_code=principal.region_code)
    for state, n in by_state.items():
        if n:
            await emit(session, f"insurance.entry.{state}", "insurance_scheme", scheme.id,
                       principal.region_code, {"year": year, "kind": kind, "count": n})
    return Outcome(scheme, applied, counts, results)


async def _lookup(session: AsyncSession, settings: Settings, scheme: InsuranceScheme,
                  prefix: str, numbers: list[str | None]) -> tuple[dict, set, dict]:
    """The current hash of every valid number, the hashes of known members, and the roster's
    live row of each person (by current hash)."""
    ring = await pii.ring(session, settings)
    every = {n: ring.id_hashes(n) for n in numbers if n is not None}
    hashes = {n: h[0] for n, h in every.items()}
    # While the keys rotate a stored row may carry the old hash: found under any, keyed by the new.
    current = {old: h[0] for h in every.values() for old in h}
    params = {"hashes": list(current), "prefix": f"{prefix}%"}
    known = {current[bytes(h)] for h in (await session.scalars(_MEMBER_HASHES, params)).all()}
    rows = {current[bytes(r.id_hash)]: r for r in (await session.execute(
        _ROWS, {**params, "scheme": scheme.id})).all()}
    return hashes, known, rows


def _results(principal: Principal, items: list, numbers: list[str | None], hashes: dict,
             known: set, rows: dict) -> tuple[list[dict], dict[int, tuple[str, str | None]]]:
    """(I3) the result of every row in order, and the state changes to apply by entry id."""
    results: list[dict] = []
    seen: dict[str, str | None] = {}  # number → the row's state after its first occurrence
    apply: dict[int, tuple[str, str | None]] = {}
    for index, (item, number) in enumerate(zip(items, numbers, strict=True)):
        shown = item.id_number if principal.has("pii:read") else mask_id(item.id_number)
        if number is None:
            results.append({"index": index, "id_number": shown, "result": "invalid_id_number",
                            "state": None})
            continue
        shown = number if principal.has("pii:read") else mask_id(number)
        h = hashes[number]
        row = rows.get(h)
        if number in seen:
            result, state = "duplicate_in_request", seen[number]
        elif row is None:
            result = "not_on_roster" if h in known else "unknown_person"
            state = None
        else:
            result = check_confirmation(row.state, item.state)
            state = item.state if result == RESULT_OK else row.state
            if result == RESULT_OK:
                apply[row.id] = (item.state, item.reason)
        seen.setdefault(number, state)
        results.append({"index": index, "id_number": shown, "result": result, "state": state})
    return results, apply
