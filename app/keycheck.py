"""Start-up check: the keys present must decrypt the ID numbers stored (after a restore, the
keys of the same backup). Starting with other keys would write new numbers under a key that
cannot read the old ones, and every stored ID number would be lost for good.

With rotated keys (app/keyrotation.py) there are several: every key the rotation state names
(the current ones, and the old ones while a rotation runs) must be present, each sampled
ciphertext opens with the key its id names, and the stored keyed hash of a sampled member is
one the hash keys in use give for its number (a wrong hash key would miss every lookup)."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app import pii
from app.config import Settings

SAMPLE = 20
# Tables holding ID numbers encrypted with the PII key (app/pii.py), their column, and the
# column of the keyed hash beside it.
ENCRYPTED = (("household_member", "id_number_enc", "id_hash"),
             ("helper", "id_number_enc", "id_hash"),
             ("app_user", "id_number_enc", "id_number_hash"))


class KeyMismatch(RuntimeError):
    pass


_RESTORE_HINT = (
    "After a restore, use the keys of the same backup (`xiaokang restore` writes them into the "
    "data directory; unset XIAOKANG_PII_KEY/XIAOKANG_PII_HASH_KEY or set them to the archived "
    "keys).")


def _wrong_key(settings: Settings, kid: int) -> str:
    where = (f"XIAOKANG_PII_KEY, or {settings.data_dir}/pii-aes.key" if kid == 0
             else f"{settings.data_dir}/{pii.key_filename('aes', kid)}")
    return (f"The PII encryption key in use ({where}) cannot decrypt the ID numbers stored in "
            "this database: it is not the key they were written with. Refusing to start, "
            "because new numbers written under a different key would leave the stored ones "
            "unreadable. " + _RESTORE_HINT)


async def _state_keys(conn: AsyncConnection, settings: Settings) -> tuple[int, ...] | None:
    """The hash key ids in use; KeyMismatch when a key the state names is missing."""
    exists = await conn.scalar(text("SELECT to_regclass('public.pii_key_state') IS NOT NULL"))
    state = await pii.read_state(conn) if exists else None
    if state is None:
        return None
    rotating = state["phase"] == "rotating"
    needed = [("aes", state["aes_kid"]), ("hmac", state["hash_kid"])]
    if rotating:
        needed += [("aes", state["old_aes_kid"]), ("hmac", state["old_hash_kid"])]
    for kind, kid in needed:
        try:
            pii.key_by_id(settings, kind, kid)
        except pii.KeyMissing as e:
            raise KeyMismatch(
                f"The PII {'encryption' if kind == 'aes' else 'hash'} key {kid} "
                f"({settings.data_dir}/{pii.key_filename(kind, kid)}) is in use "
                f"{'by the unfinished key rotation' if rotating else 'in this database'} "
                f"but missing: {e}. Refusing to start. " + _RESTORE_HINT) from e
    return (state["hash_kid"],) + ((state["old_hash_kid"],) if rotating else ())


async def check_keys(conn: AsyncConnection, settings: Settings) -> int:
    """Decrypt a sample of the stored ID numbers; answers how many were checked, raises
    KeyMismatch with what to do when one does not decrypt."""
    hash_kids = await _state_keys(conn, settings)
    ring = pii.Ring(settings, 0, hash_kids) if hash_kids else pii.local_ring(settings)
    checked = 0
    for table, column, hash_column in ENCRYPTED:
        exists = await conn.scalar(text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = :t AND column_name = :c"), {"t": table, "c": column})
        if not exists:
            continue
        rows = (await conn.execute(text(
            f"(SELECT {column} AS blob, {hash_column} AS hash FROM {table} "
            f"WHERE {column} IS NOT NULL ORDER BY ctid LIMIT :n) "
            f"UNION ALL (SELECT {column}, {hash_column} FROM {table} TABLESAMPLE SYSTEM (1) "
            f"WHERE {column} IS NOT NULL LIMIT :n)"), {"n": SAMPLE // 2})).all()
        for blob, stored_hash in rows:
            blob = bytes(blob)
            kid = pii.key_id(blob)
            try:
                number = pii.decrypt(settings, blob)
            except pii.KeyMissing as e:
                raise KeyMismatch(
                    f"ID numbers in {table} are encrypted with key {kid}, whose file "
                    f"{settings.data_dir}/{pii.key_filename('aes', kid)} is missing: {e}. "
                    "Refusing to start. " + _RESTORE_HINT) from e
            except (InvalidTag, ValueError) as e:
                raise KeyMismatch(_wrong_key(settings, kid)) from e
            if stored_hash is not None and bytes(stored_hash) not in ring.id_hashes(number):
                raise KeyMismatch(
                    f"The PII hash key in use (XIAOKANG_PII_HASH_KEY, or {settings.data_dir}/"
                    f"{pii.key_filename('hmac', ring.hash_kids[0])}) does not give the keyed "
                    f"hashes stored in {table}: every lookup by ID number would miss. Refusing "
                    "to start. " + _RESTORE_HINT)
            checked += 1
    return checked
