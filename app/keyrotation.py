"""`xiaokang rotate-keys`: a new PII encryption key and a new hash key, while the service runs.

1. Start: the new key files are written into the data directory (mode 600); then, under the
   key-set lock taken exclusively (it waits for the transactions using the old key set, app/pii.py),
   the state row says `rotating`: from then on every process encrypts and hashes with the new keys
   and looks numbers up under both hash keys.
2. Re-encryption in batches, each one transaction: rows in physical order after the table's
   recorded position (`progress`), locked, decrypted, encrypted under the new key; for the ID
   numbers, every hash column of every table holding the old hash of a number of the batch gets
   its new hash in the same transaction (a person's rows never disagree across tables once the
   batch commits). The position is saved in the batch's transaction: a rotation killed at any
   point resumes (`--resume`) where the last batch committed.
3. Passes repeat from the start until one finds nothing left under an old key (rows a writer
   moved behind the position are found again); then the state says `idle` with only the new keys,
   and the old key files are unused (`--retire` removes them once nothing refers to them).

One rotation runs at a time (a session advisory lock); a rotation started while one is under
way is refused, nothing changed. Imports wait for a running rotation (app/imports/pipeline.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import keyfiles, pii
from app.config import Settings

ROTATION_LOCK = 7_715_002  # one rotation at a time
IMPORT_LOCK = 7_715_003  # an import holds it shared while it runs; a rotation exclusively
BATCH = 500
BATCH_LOCK_TIMEOUT = "500ms"  # below PostgreSQL's deadlock_timeout (1 s by default)
START_LOCK_TIMEOUT = "30s"  # the start waits this long for transactions under the old key set
# Columns holding an ID number encrypted with `pii.encrypt`.
ID_NUMBERS = (("household_member", "id_number_enc"), ("helper", "id_number_enc"),
              ("app_user", "id_number_enc"), ("insurance_roster_entry", "id_number_enc"))
# Columns holding the keyed hash of an ID number (`pii.id_hash`).
HASHES = (("household_member", "id_hash"), ("helper", "id_hash"), ("app_user", "id_number_hash"),
          ("insurance_roster_entry", "id_hash"), ("dibao_case_match", "id_hash"))
# Other sealed columns and their associated data (`pii.seal`); every other bytea column named
# `*_enc` is found in the catalogue and holds `pii.encrypt` output.
SEALED = (("idempotent_request", "response_body", b"idempotent_request.response_body"),)
# JSON documents with base64 ciphertexts of ID numbers under the key `id_number_enc`.
JSON_ENCRYPTED = (("proposal", "payload"), ("change_request", "changes"))


class RotationError(Exception):
    """A refusal (nothing changed) with the exit code of the command."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Report:
    aes_kid: int
    hash_kid: int
    old_aes_kid: int
    old_hash_kid: int
    resumed: bool
    rewritten: dict[str, int] = field(default_factory=dict)
    rehashed: int = 0
    passes: int = 0


async def _columns(conn: AsyncConnection) -> list[tuple[str, str, bytes, str]]:
    """(table, column, associated data, kind) of every encrypted column present:
    kind `id` (ID numbers, hashes follow), `blob` (other sealed bytes), `json`."""
    present = {(r.table_name, r.column_name, r.data_type) for r in (await conn.execute(text(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'"))).all()}
    out = [(t, c, pii.ID_NUMBER, "id") for t, c in ID_NUMBERS if (t, c, "bytea") in present]
    known = {(t, c) for t, c, *_ in out}
    for t, c, d in sorted(present):
        if d == "bytea" and c.endswith("_enc") and (t, c) not in known:
            out.append((t, c, pii.ID_NUMBER, "blob"))
    out += [(t, c, ctx, "blob") for t, c, ctx in SEALED if (t, c, "bytea") in present]
    out += [(t, c, b"", "json") for t, c in JSON_ENCRYPTED if (t, c, "jsonb") in present]
    return out


async def _hash_columns(conn: AsyncConnection) -> list[tuple[str, str]]:
    present = {(r.table_name, r.column_name) for r in (await conn.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type = 'bytea'"))).all()}
    return [h for h in HASHES if h in present]


def _retry(e: DBAPIError) -> bool:
    code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None) or getattr(
        getattr(e.orig, "__cause__", None), "sqlstate", None)
    return code in ("40P01", "40001", "55P03")


def _rekey_json(doc, settings: Settings, ring: pii.Ring) -> tuple[object, int]:
    """The document with every `id_number_enc` not under the ring's key re-encrypted."""
    changed = 0

    def walk(v):
        nonlocal changed
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if k == "id_number_enc" and isinstance(x, str):
                    blob = base64.b64decode(x)
                    if pii.key_id(blob) != ring.aes_kid or not blob.startswith(pii.HEADER_MAGIC):
                        number = pii.decrypt(settings, blob)
                        x = base64.b64encode(ring.seal(number.encode(), pii.ID_NUMBER)).decode()
                        changed += 1
                    out[k] = x
                else:
                    out[k] = walk(x)
            return out
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(doc), changed


def _current(blob: bytes, kid: int) -> bool:
    return blob[:pii.HEADER_LEN] == pii.header(kid) and pii.key_id(blob) == kid


async def _batch(conn: AsyncConnection, settings: Settings, ring: pii.Ring, old: pii.Ring,
                 table: str, column: str, context: bytes, kind: str, after: str, size: int,
                 hash_columns: list[tuple[str, str]], report: Report) -> str | None:
    """One batch in one transaction; answers the position reached (None at the table's end)."""
    # A batch gives way to requests: rather than wait long for a row a request holds (and risk
    # being the deadlock that fails the request), it stops and is tried again.
    await conn.execute(text(f"SET LOCAL lock_timeout = '{BATCH_LOCK_TIMEOUT}'"))
    rows = (await conn.execute(text(
        f"SELECT ctid::text AS at, {column} AS v FROM {table} "
        f"WHERE ctid > CAST(CAST(:after AS text) AS tid) AND {column} IS NOT NULL "
        f"ORDER BY ctid LIMIT :n FOR UPDATE"), {"after": after, "n": size})).all()
    if not rows:
        return None
    at, values, old_hashes, new_hashes = [], [], [], []
    for r in rows:
        if kind == "json":
            doc = r.v if not isinstance(r.v, str) else json.loads(r.v)
            new_doc, changed = _rekey_json(doc, settings, ring)
            if changed:
                at.append(r.at)
                values.append(json.dumps(new_doc, ensure_ascii=False))
            continue
        blob = bytes(r.v)
        number = None
        if not _current(blob, ring.aes_kid):
            plain = pii.unseal(settings, blob, context)
            at.append(r.at)
            values.append(ring.seal(plain, context))
            if kind == "id":
                number = plain.decode()
        elif kind == "id":
            number = pii.decrypt(settings, blob)
        if number is not None:
            old_hashes.append(old.id_hash(number))
            new_hashes.append(ring.id_hash(number))
    if at:
        cast = "jsonb" if kind == "json" else "bytea"
        await conn.execute(text(
            f"UPDATE {table} t SET {column} = CAST(v.value AS {cast}) "
            f"FROM unnest(CAST(CAST(:at AS text[]) AS tid[]), CAST(:values AS text[])) AS v(at, value) "
            f"WHERE t.ctid = v.at") if kind == "json" else text(
            f"UPDATE {table} t SET {column} = v.value "
            f"FROM unnest(CAST(CAST(:at AS text[]) AS tid[]), CAST(:values AS bytea[])) AS v(at, value) "
            f"WHERE t.ctid = v.at"), {"at": at, "values": values})
        report.rewritten[f"{table}.{column}"] = report.rewritten.get(f"{table}.{column}", 0) + len(at)
    if old_hashes and old.hash_kids[0] != ring.hash_kids[0]:
        for ht, hc in hash_columns:
            done = await conn.execute(text(
                f"UPDATE {ht} t SET {hc} = m.new "
                f"FROM unnest(CAST(:old AS bytea[]), CAST(:new AS bytea[])) AS m(old, new) "
                f"WHERE t.{hc} = m.old"), {"old": old_hashes, "new": new_hashes})
            report.rehashed += done.rowcount or 0
    return rows[-1].at


async def _pass(conn: AsyncConnection, settings: Settings, ring: pii.Ring, old: pii.Ring,
                size: int, report: Report, on_batch: Callable[[], object] | None) -> int:
    """One pass over every encrypted column from its saved position; answers the rows changed."""
    columns = await _columns(conn)
    hash_columns = await _hash_columns(conn)
    await conn.commit()
    before = sum(report.rewritten.values()) + report.rehashed
    for table, column, context, kind in columns:
        name = f"{table}.{column}"
        while True:
            progress = (await conn.execute(text(
                "SELECT progress FROM pii_key_state WHERE id = 1"))).scalar_one()
            after = progress.get(name, "(0,0)")
            if after == "done":
                await conn.commit()
                break
            for attempt in range(20):
                try:
                    reached = await _batch(conn, settings, ring, old, table, column, context, kind,
                                           after, size, hash_columns, report)
                    await conn.execute(text(
                        "UPDATE pii_key_state SET progress = jsonb_set(progress, ARRAY[:name], "
                        "to_jsonb(CAST(:at AS text))) WHERE id = 1"),
                        {"name": name, "at": reached or "done"})
                    await conn.commit()
                    break
                except DBAPIError as e:
                    await conn.rollback()
                    if not _retry(e) or attempt == 19:
                        raise
                    await asyncio.sleep(0.05 * (attempt + 1))
            if on_batch is not None:
                r = on_batch()
                if asyncio.iscoroutine(r):
                    await r
            if reached is None:
                break
    return sum(report.rewritten.values()) + report.rehashed - before


def _write_new_keys(settings: Settings, kid: int) -> None:
    for kind in ("aes", "hmac"):
        keyfiles.create(Path(settings.data_dir) / pii.key_filename(kind, kid),
                        base64.b64encode(os.urandom(32)))
        pii.key_by_id(settings, kind, kid)  # readable, mode 600 (KeyFileError otherwise)


async def _start(conn: AsyncConnection, settings: Settings, state: dict) -> int:
    # Key files of a higher id than the state's can only be those of a start that was interrupted
    # before it committed: they are used again (keyfiles.create keeps an existing file).
    kid = max(state["aes_kid"], state["hash_kid"]) + 1
    # The keys in use must be readable before anything changes.
    pii.key_by_id(settings, "aes", state["aes_kid"])
    pii.key_by_id(settings, "hmac", state["hash_kid"])
    _write_new_keys(settings, kid)
    await conn.execute(text(f"SET LOCAL lock_timeout = '{START_LOCK_TIMEOUT}'"))
    try:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": pii.KEYSET_LOCK})
    except DBAPIError as e:
        await conn.rollback()
        if not _retry(e):
            raise
        raise RotationError(f"Transactions using the keys did not end within {START_LOCK_TIMEOUT}: "
                            "nothing was changed; run `xiaokang rotate-keys` again.") from e
    done = await conn.execute(text(
        "UPDATE pii_key_state SET phase = 'rotating', old_aes_kid = aes_kid, "
        "old_hash_kid = hash_kid, aes_kid = :kid, hash_kid = :kid, progress = '{}'::jsonb, "
        "started_at = now(), finished_at = NULL WHERE id = 1 AND phase = 'idle'"), {"kid": kid})
    if done.rowcount != 1:
        await conn.rollback()
        raise RotationError("A key rotation started meanwhile in another process.")
    await conn.commit()
    return kid


async def _state(conn: AsyncConnection) -> dict:
    state = await pii.read_state(conn)
    await conn.commit()
    if state is None:
        raise RotationError("The database has no key state: run `xiaokang migrate` first.", 2)
    return state


async def rotate(engine: AsyncEngine, settings: Settings, *, resume: bool = False,
                 batch_size: int = BATCH, on_batch: Callable[[], object] | None = None) -> Report:
    """Rotate the PII keys (or resume an interrupted rotation with `resume`)."""
    async with engine.connect() as lock:
        got = await lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ROTATION_LOCK})
        await lock.commit()
        if not got:
            raise RotationError("A key rotation is running in another process: nothing was "
                                "changed. Wait for it to finish.")
        try:
            # Running imports finish first (they match hashes computed once); new ones wait.
            await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": IMPORT_LOCK})
            await lock.commit()
            async with engine.connect() as conn:
                state = await _state(conn)
                if state["phase"] == "rotating" and not resume:
                    raise RotationError(
                        f"A key rotation (keys {state['old_aes_kid']} → {state['aes_kid']}, "
                        f"started {state.get('started_at') or 'earlier'}) is unfinished: nothing "
                        "was changed. Resume it with `xiaokang rotate-keys --resume`.")
                if state["phase"] == "idle" and resume:
                    raise RotationError("No key rotation is under way: nothing to resume.")
                resumed = state["phase"] == "rotating"
                if not resumed:
                    await _start(conn, settings, state)
                state = await _state(conn)
                ring = pii.Ring(settings, state["aes_kid"], (state["hash_kid"],), True)
                old = pii.Ring(settings, state["old_aes_kid"], (state["old_hash_kid"],))
                # Every key the rotation needs is present before a row changes.
                for kind, kid in (("aes", ring.aes_kid), ("hmac", ring.hash_kids[0]),
                                  ("hmac", old.hash_kids[0])):
                    try:
                        pii.key_by_id(settings, kind, kid)
                    except pii.KeyMissing as e:
                        raise RotationError(f"Cannot rotate: {e}.", 2) from e
                report = Report(ring.aes_kid, ring.hash_kids[0], old.aes_kid, old.hash_kids[0],
                                resumed)
                while True:
                    report.passes += 1
                    changed = await _pass(conn, settings, ring, old, batch_size, report, on_batch)
                    if changed == 0:
                        break
                    await conn.execute(text(
                        "UPDATE pii_key_state SET progress = '{}'::jsonb WHERE id = 1"))
                    await conn.commit()
                await conn.execute(text(
                    "UPDATE pii_key_state SET phase = 'idle', progress = '{}'::jsonb, "
                    "finished_at = now() WHERE id = 1"))
                await conn.commit()
                return report
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock_all()"))
            await lock.commit()


async def old_key_uses(conn: AsyncConnection, settings: Settings, kid: int) -> dict[str, int]:
    """How many ciphertexts still carry key `kid` (0 counts those without a header too)."""
    out = {}
    for table, column, _context, kind in await _columns(conn):
        if kind == "json":
            rows = (await conn.execute(text(
                f"SELECT {column} AS v FROM {table} WHERE CAST({column} AS text) "
                "LIKE '%id_number_enc%'"))).scalars().all()
            n = 0
            for doc in rows:
                found: list[bytes] = []

                def walk(v, found=found):
                    if isinstance(v, dict):
                        for k, x in v.items():
                            if k == "id_number_enc" and isinstance(x, str):
                                found.append(base64.b64decode(x))
                            else:
                                walk(x)
                    elif isinstance(v, list):
                        for x in v:
                            walk(x)
                walk(doc)
                n += sum(1 for b in found if pii.key_id(b) == kid)
        else:
            blobs = (await conn.execute(text(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))).scalars().all()
            n = sum(1 for b in blobs if pii.key_id(bytes(b)) == kid)
        if n:
            out[f"{table}.{column}"] = n
    await conn.commit()
    return out


async def retire(engine: AsyncEngine, settings: Settings) -> list[Path]:
    """Remove the key files of the keys no longer in use (after a finished rotation, when no
    ciphertext carries their id); answers the files removed."""
    async with engine.connect() as conn:
        state = await _state(conn)
        if state["phase"] != "idle":
            raise RotationError("A key rotation is unfinished: its old keys are still in use. "
                                "Resume it with `xiaokang rotate-keys --resume` first.")
        data_dir = Path(settings.data_dir)
        removed = []
        for kind, current in (("aes", state["aes_kid"]), ("hmac", state["hash_kid"])):
            for kid in pii.key_ids_on_disk(data_dir, kind):
                if kid >= current:
                    continue
                if kind == "aes" and (uses := await old_key_uses(conn, settings, kid)):
                    raise RotationError(
                        f"Key {kid} still encrypts {sum(uses.values())} values ({uses}): "
                        "not retired. Run `xiaokang rotate-keys` to re-encrypt them.")
                path = data_dir / pii.key_filename(kind, kid)
                path.unlink()
                removed.append(path)
        return removed
