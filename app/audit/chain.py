"""The audit log's hash chain (clause 十五: the funds' special audit needs a log it can trust).

At commit a database trigger seals each new audit row into the chain (migration 0701):
`row_hash` = SHA-256 of the row's content, `chain_hash` = SHA-256(previous chain_hash ‖ row_hash),
`chain_seq` its place in commit order. An owner who disables the guard and edits a row cannot
make the chain agree again without rewriting every later row, and the head published daily
(event `audit.chain_head`, and a log line) is kept outside the system by the auditors.

`verify` recomputes everything with this module's own copy of the digest, so a replaced trigger
function does not fool it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

log = structlog.get_logger("xiaokang.audit")

GENESIS = bytes(32)
BATCH = 5000
# The content of a row; the same expression as the sealing trigger's (migration 0701).
DIGEST = ("sha256(convert_to(jsonb_build_array(a.id, "
          "to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), a.actor, "
          "a.actor_name, a.action, a.entity_type, a.entity_id, a.region_code, a.before, a.after, "
          "a.request_id)::text, 'UTF8'))")
PUBLISH_LOCK = 3212_2016_15


@dataclass(frozen=True)
class Mismatch:
    audit_id: int
    chain_seq: int | None
    reason: str

    def __str__(self) -> str:
        seq = f" (chain position {self.chain_seq})" if self.chain_seq is not None else ""
        return f"audit row {self.audit_id}{seq}: {self.reason}"


@dataclass(frozen=True)
class Verified:
    rows: int
    head_seq: int | None
    head_hash: str | None
    mismatch: Mismatch | None


def link(previous: bytes, row_hash: bytes) -> bytes:
    return hashlib.sha256(previous + row_hash).digest()


async def verify(conn: AsyncConnection, from_seq: int | None = None) -> Verified:
    """Recompute the chain from the start (or from position `from_seq`, trusting the stored hash
    just before it); answers the first row that does not match, if any."""
    prev, after = GENESIS, 0
    if from_seq is not None and from_seq > 1:
        row = (await conn.execute(text(
            "SELECT chain_seq, chain_hash FROM audit_log WHERE chain_seq < :s "
            "ORDER BY chain_seq DESC LIMIT 1"), {"s": from_seq})).first()
        if row is not None:
            after, prev = row.chain_seq, bytes(row.chain_hash)
    count, head_seq = 0, None
    while True:
        rows = (await conn.execute(text(
            f"SELECT a.id, a.chain_seq, a.row_hash, a.chain_hash, {DIGEST} AS digest "
            "FROM audit_log a WHERE a.chain_seq > :after ORDER BY a.chain_seq LIMIT :n"),
            {"after": after, "n": BATCH})).all()
        for r in rows:
            digest = bytes(r.digest)
            if r.row_hash is None or bytes(r.row_hash) != digest:
                return Verified(count, head_seq, prev.hex(),
                                Mismatch(r.id, r.chain_seq, "its content does not match its hash"))
            expected = link(prev, digest)
            if r.chain_hash is None or bytes(r.chain_hash) != expected:
                return Verified(count, head_seq, prev.hex(), Mismatch(
                    r.id, r.chain_seq, "its chain hash does not follow from the row before it "
                                       "(a row before it was removed or rewritten)"))
            prev, after, head_seq = expected, r.chain_seq, r.chain_seq
            count += 1
        if len(rows) < BATCH:
            break
    unsealed = (await conn.execute(text(
        "SELECT id FROM audit_log WHERE chain_seq IS NULL ORDER BY id LIMIT 1"))).first()
    if unsealed is not None:
        return Verified(count, head_seq, prev.hex(), Mismatch(
            unsealed.id, None, "it is not in the chain (written with the sealing trigger disabled)"))
    return Verified(count, head_seq, prev.hex() if head_seq is not None else None, None)


async def head(conn: AsyncConnection) -> tuple[int, str] | None:
    row = (await conn.execute(text(
        "SELECT chain_seq, chain_hash FROM audit_log WHERE chain_seq IS NOT NULL "
        "ORDER BY chain_seq DESC LIMIT 1"))).first()
    return (row.chain_seq, bytes(row.chain_hash).hex()) if row is not None else None


async def publish_head(session: AsyncSession, on: date) -> dict | None:
    """Publish the chain head of `on` once (an event and a log line); answers what was published,
    None when that day's head is out already. Several processes may call it: they take turns."""
    from app.events.service import emit

    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PUBLISH_LOCK})
    done = await session.scalar(text(
        "SELECT 1 FROM event WHERE type = 'audit.chain_head' AND entity_id = :d"), {"d": on.isoformat()})
    if done:
        return None
    current = await head(await session.connection())
    payload = {"date": on.isoformat(), "chain_seq": current[0] if current else 0,
               "chain_hash": current[1] if current else GENESIS.hex()}
    await emit(session, "audit.chain_head", "audit_chain", on.isoformat(), None, payload)
    log.info("audit_chain_head", **payload)
    return payload


async def run_publisher(db, interval_seconds: float = 3600.0) -> None:
    """The server's background loop: the day's head goes out within the hour after midnight."""
    import asyncio

    from app.kit.dates import today

    while True:
        try:
            async with db.sessionmaker() as session:
                await publish_head(session, today())
                await session.commit()
        except Exception:
            log.exception("audit_chain_publish_failed")
        await asyncio.sleep(interval_seconds)
