"""ID numbers as sensitive personal information: encrypted at rest, found by a keyed hash.

AES-256-GCM (cryptography) encrypts the number; HMAC-SHA256 with a separate key gives the lookup
hash, so equality can be tested without decrypting. Keys come from settings (base64 of 32 bytes)
or are generated once into the data directory.

Keys rotate (`xiaokang rotate-keys`, app/keyrotation.py), so there may be several of each kind,
numbered by a key id: id 0 is the original pair (`pii-aes.key`, `pii-hmac.key`, or
XIAOKANG_PII_KEY / XIAOKANG_PII_HASH_KEY), id n ≥ 1 the files `pii-aes-n.key`, `pii-hmac-n.key`.

- A ciphertext starts with a header naming its key id (`HEADER_MAGIC` + 2 bytes, also bound as
  associated data); a ciphertext without the header is from before key ids and opens with key 0.
  Any key present opens the ciphertexts it wrote, so reads never depend on the rotation's state.
- Hashes carry no id. Which hash keys are in use is the rotation state in the database
  (`pii_key_state`): one key outside a rotation; during one, the new key writes and both are
  looked up. `await ring(session, settings)` reads that state in the transaction, after a shared
  advisory lock that the start of a rotation takes exclusively, so every transaction sees the key
  set of its whole life: a lookup never misses a person, and two writers of the same number always
  write the same hash (the unique indexes refuse the second).
"""

from __future__ import annotations

import base64
import contextvars
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import keyfiles
from app.config import Settings, reveal

HEADER_MAGIC = b"\xf0xk"
HEADER_LEN = len(HEADER_MAGIC) + 2
ID_NUMBER = b"id_number"  # the associated data of `encrypt`
# Transaction-scoped advisory locks: every transaction using `ring` holds KEYSET shared; the
# start of a rotation takes it exclusively (waits for them, then changes the key set).
KEYSET_LOCK = 7_715_001
_FILE = re.compile(r"^pii-(aes|hmac)(?:-(\d+))?\.key$")


class KeyMissing(ValueError):
    """A ciphertext or the rotation state names a key id whose key is not present."""


def _key(data_dir: Path, configured: str | None, filename: str, create: bool = True) -> bytes:
    if configured:
        raw = base64.b64decode(configured)
        if len(raw) != 32:
            raise ValueError(f"{filename}: a key must be base64 of 32 bytes")
        return raw
    path = data_dir / filename
    if not path.exists():
        if not create:
            raise KeyMissing(f"the key file {path} is missing")
        keyfiles.create(path, base64.b64encode(os.urandom(32)))
    return base64.b64decode(keyfiles.read(path).strip())


def key_filename(kind: str, kid: int) -> str:
    """`pii-aes.key` / `pii-hmac.key` for key 0, `pii-aes-<kid>.key` after."""
    return f"pii-{kind}.key" if kid == 0 else f"pii-{kind}-{kid}.key"


def key_ids_on_disk(data_dir: Path, kind: str) -> list[int]:
    """The key ids of one kind (`aes`, `hmac`) whose files are in the data directory."""
    found = []
    if data_dir.is_dir():
        for p in data_dir.iterdir():
            m = _FILE.match(p.name)
            if m and m.group(1) == kind:
                found.append(int(m.group(2) or 0))
    return sorted(found)


@lru_cache(maxsize=64)
def _key_by_id(data_dir: str, configured: str | None, kind: str, kid: int) -> bytes:
    path = Path(data_dir)
    if kid == 0:
        # The original key is generated on first use, unless later keys exist (then key 0 was
        # retired and must not come back as a new random key).
        newer = [k for k in key_ids_on_disk(path, kind) if k > 0]
        return _key(path, configured, key_filename(kind, 0), create=not newer)
    return _key(path, None, key_filename(kind, kid), create=False)


def forget_keys() -> None:
    """Drop the keys read so far (after key files changed under a running process: tests)."""
    _key_by_id.cache_clear()
    _aesgcm.cache_clear()
    _listing.clear()


def key_by_id(settings: Settings, kind: str, kid: int) -> bytes:
    """The key of one kind (`aes`, `hmac`) and id; KeyMissing when it is not present."""
    configured = reveal(settings.pii_key if kind == "aes" else settings.pii_hash_key)
    return _key_by_id(str(settings.data_dir), configured if kid == 0 else None, kind, kid)


_listing: dict[tuple[str, str], tuple[int, list[int]]] = {}


def _newest(settings: Settings, kind: str) -> list[int]:
    """Key ids of one kind present, newest first (key 0 when none is, as before rotation)."""
    data_dir = Path(settings.data_dir)
    try:
        stamp = data_dir.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = -1
    seen = _listing.get((str(data_dir), kind))
    if seen is not None and seen[0] == stamp:
        ids = list(seen[1])
    else:
        ids = key_ids_on_disk(data_dir, kind)
        _listing[(str(data_dir), kind)] = (stamp, list(ids))
    configured = reveal(settings.pii_key if kind == "aes" else settings.pii_hash_key)
    if configured and 0 not in ids:
        ids.append(0)
    return sorted(set(ids), reverse=True) or [0]


@dataclass(frozen=True)
class Ring:
    """The keys in use: `aes_kid` encrypts, `hash_kids[0]` hashes what is written, every one of
    `hash_kids` is looked up."""

    settings: Settings
    aes_kid: int
    hash_kids: tuple[int, ...]
    rotating: bool = False

    def _aes(self, kid: int) -> AESGCM:
        return _aesgcm(key_by_id(self.settings, "aes", kid))

    def id_hash(self, number: str) -> bytes:
        """The keyed hash to write (under the current hash key)."""
        return hmac.digest(key_by_id(self.settings, "hmac", self.hash_kids[0]),
                           number.upper().encode(), "sha256")

    def id_hashes(self, number: str) -> list[bytes]:
        """The hashes to look the number up by: the current key's first, then the old one's
        while a rotation runs."""
        data = number.upper().encode()
        return [hmac.digest(key_by_id(self.settings, "hmac", k), data, "sha256")
                for k in self.hash_kids]

    def hashes_of(self, stored: bytes, enc: bytes) -> list[bytes]:
        """Every hash a stored row's number may carry in other rows (`stored`, its hash, and
        `enc`, its encrypted number): the stored hash outside a rotation; during one, the
        number's hash under each key (another table's row may be under the other key until
        its batch comes), the current key's first."""
        if not self.rotating:
            return [bytes(stored)]
        return self.id_hashes(decrypt(self.settings, bytes(enc)))

    def seal(self, data: bytes, context: bytes) -> bytes:
        header = HEADER_MAGIC + self.aes_kid.to_bytes(2, "big")
        nonce = os.urandom(12)
        return header + nonce + self._aes(self.aes_kid).encrypt(nonce, data, context + header)


@lru_cache(maxsize=64)
def _aesgcm(key: bytes) -> AESGCM:
    return AESGCM(key)


def key_id(blob: bytes) -> int:
    """The key id a ciphertext was written with (0 for one without a header)."""
    if blob[:len(HEADER_MAGIC)] == HEADER_MAGIC and len(blob) >= HEADER_LEN + 12 + 16:
        return int.from_bytes(blob[len(HEADER_MAGIC):HEADER_LEN], "big")
    return 0


def header(kid: int) -> bytes:
    return HEADER_MAGIC + kid.to_bytes(2, "big")


def _open(settings: Settings, blob: bytes, context: bytes) -> bytes:
    if blob[:len(HEADER_MAGIC)] == HEADER_MAGIC and len(blob) >= HEADER_LEN + 12 + 16:
        kid = int.from_bytes(blob[len(HEADER_MAGIC):HEADER_LEN], "big")
        head, body = blob[:HEADER_LEN], blob[HEADER_LEN:]
        try:
            return _aesgcm(key_by_id(settings, "aes", kid)).decrypt(body[:12], body[12:],
                                                                     context + head)
        except (InvalidTag, KeyMissing) as e:
            # One legacy ciphertext in 2^24 begins with the magic bytes by chance.
            try:
                return _legacy(settings, blob, context)
            except (InvalidTag, KeyMissing):
                raise e from None
    return _legacy(settings, blob, context)


def _legacy(settings: Settings, blob: bytes, context: bytes) -> bytes:
    return _aesgcm(key_by_id(settings, "aes", 0)).decrypt(blob[:12], blob[12:], context)


# The ring of the transaction this task works in, with that transaction (a SessionTransaction:
# once it has ended, the ring no longer holds).
_current: contextvars.ContextVar[tuple[Ring, object] | None] = contextvars.ContextVar(
    "pii_ring", default=None)


def local_ring(settings: Settings) -> Ring:
    """The ring of this task's transaction when `ring` was awaited in it, else the keys on
    disk: the newest writes, all hash keys present are looked up."""
    held = _current.get()
    if held is not None and getattr(held[1], "is_active", False) and \
            str(held[0].settings.data_dir) == str(settings.data_dir):
        return held[0]
    return Ring(settings, _newest(settings, "aes")[0], tuple(_newest(settings, "hmac")))


async def read_state(conn) -> dict | None:
    """The rotation state row (a SQLAlchemy AsyncConnection or AsyncSession)."""
    from sqlalchemy import text

    row = (await conn.execute(text(
        "SELECT aes_kid, hash_kid, old_aes_kid, old_hash_kid, phase FROM pii_key_state "
        "WHERE id = 1"))).mappings().first()
    return dict(row) if row else None


async def ring(session, settings: Settings) -> Ring:
    """The keys in use in this transaction, from the rotation state in the database (once per
    transaction). Holds the key-set lock shared until the transaction ends."""
    from sqlalchemy import text

    txn = session.sync_session.get_transaction() if hasattr(session, "sync_session") else None
    cached = session.info.get("pii_ring") if hasattr(session, "info") else None
    if cached is not None and txn is not None and cached[0] is txn and \
            str(cached[1].settings.data_dir) == str(settings.data_dir):
        _current.set((cached[1], txn))
        return cached[1]
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": KEYSET_LOCK})
    state = await read_state(session)
    if state is None:
        r = local_ring(settings)
    else:
        kids = (state["hash_kid"],) + (
            (state["old_hash_kid"],) if state["phase"] == "rotating" and
            state["old_hash_kid"] is not None else ())
        r = Ring(settings, state["aes_kid"], kids, state["phase"] == "rotating")
    txn = session.sync_session.get_transaction() if hasattr(session, "sync_session") else None
    if txn is not None:
        session.info["pii_ring"] = (txn, r)
        _current.set((r, txn))
    return r


def keys(settings: Settings) -> tuple[bytes, bytes]:
    """The oldest (encryption key, hash key) present, for keys derived from them (stored import
    files, sync cursors): what they sealed stays readable through a rotation, until its old keys
    are retired."""
    return (key_by_id(settings, "aes", _newest(settings, "aes")[-1]),
            key_by_id(settings, "hmac", _newest(settings, "hmac")[-1]))


def id_hash(settings: Settings, number: str) -> bytes:
    """The keyed hash of a normalised ID number, to write (under the current hash key)."""
    return local_ring(settings).id_hash(number)


def id_hashes(settings: Settings, number: str) -> list[bytes]:
    """Every keyed hash a stored row of this number may carry (one outside a rotation): look up
    with `column.in_(...)`. The first is the one to write."""
    return local_ring(settings).id_hashes(number)


def encrypt(settings: Settings, number: str) -> bytes:
    return local_ring(settings).seal(number.encode(), ID_NUMBER)


def decrypt(settings: Settings, blob: bytes) -> str:
    return _open(settings, blob, ID_NUMBER).decode()


class Sealer:
    """`encrypt` and `id_hash` for many numbers (a bulk import): the keys read and the AES-GCM
    object made once, not per number. The same ciphertext format and the same hash."""

    def __init__(self, settings: Settings) -> None:
        r = local_ring(settings)
        self._hash_key = key_by_id(settings, "hmac", r.hash_kids[0])
        self._aes = AESGCM(key_by_id(settings, "aes", r.aes_kid))
        self._header = header(r.aes_kid)
        self._random = b""
        self._at = 0

    def id_hash(self, number: str) -> bytes:
        return hmac.digest(self._hash_key, number.upper().encode(), "sha256")

    def encrypt(self, number: str) -> bytes:
        # A fresh 96-bit nonce per number, as `encrypt`: os.urandom read 64 KiB at a time (one
        # system call per ~5,000 numbers instead of one each); no byte is ever used twice.
        if self._at + 12 > len(self._random):
            self._random, self._at = os.urandom(65532), 0
        nonce = self._random[self._at:self._at + 12]
        self._at += 12
        return self._header + nonce + self._aes.encrypt(nonce, number.encode(),
                                                        ID_NUMBER + self._header)

    def seal(self, number: str) -> tuple[bytes, bytes]:
        """(encrypted number, keyed hash)."""
        return self.encrypt(number), self.id_hash(number)


def seal(settings: Settings, data: bytes, context: bytes) -> bytes:
    """Any bytes encrypted with the PII key (AES-256-GCM, a fresh nonce, `context` as the
    associated data, so a blob sealed for one use does not open for another)."""
    return local_ring(settings).seal(data, context)


def unseal(settings: Settings, blob: bytes, context: bytes) -> bytes:
    """The bytes `seal` encrypted (raises cryptography's InvalidTag when altered)."""
    return _open(settings, blob, context)


def parse_id_number(number: str) -> str:
    """Normalise and check an ID number with the policy rule; answer the normalised number."""
    from app.policy import ids

    return ids.parse_id_number(number).number
