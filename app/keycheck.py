"""Start-up check: the keys present must decrypt the ID numbers stored (after a restore, the
keys of the same backup). Starting with other keys would write new numbers under a key that
cannot read the old ones, and every stored ID number would be lost for good."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app import pii
from app.config import Settings

SAMPLE = 20
# Tables holding ID numbers encrypted with the PII key (app/pii.py), and their column.
ENCRYPTED = (("household_member", "id_number_enc"), ("helper", "id_number_enc"),
             ("app_user", "id_number_enc"))


class KeyMismatch(RuntimeError):
    pass


async def check_keys(conn: AsyncConnection, settings: Settings) -> int:
    """Decrypt a sample of the stored ID numbers; answers how many were checked, raises
    KeyMismatch with what to do when one does not decrypt."""
    checked = 0
    for table, column in ENCRYPTED:
        exists = await conn.scalar(text(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = :t AND column_name = :c"), {"t": table, "c": column})
        if not exists:
            continue
        rows = (await conn.execute(text(
            f"(SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY ctid LIMIT :n) "
            f"UNION ALL (SELECT {column} FROM {table} TABLESAMPLE SYSTEM (1) "
            f"WHERE {column} IS NOT NULL LIMIT :n)"), {"n": SAMPLE // 2})).scalars().all()
        for blob in rows:
            try:
                pii.decrypt(settings, bytes(blob))
            except (InvalidTag, ValueError) as e:
                raise KeyMismatch(
                    f"The PII encryption key in use (XIAOKANG_PII_KEY, or {settings.data_dir}/"
                    "pii-aes.key) cannot decrypt the ID numbers stored in this database: it is "
                    "not the key they were written with. Refusing to start, because new numbers "
                    "written under a different key would leave the stored ones unreadable. "
                    "After a restore, use the keys of the same backup (`xiaokang restore` writes "
                    "them into the data directory; unset XIAOKANG_PII_KEY/XIAOKANG_PII_HASH_KEY "
                    "or set them to the archived keys).") from e
            checked += 1
    return checked
