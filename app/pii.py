"""ID numbers as sensitive personal information: encrypted at rest, found by a keyed hash.

AES-256-GCM (cryptography) encrypts the number; HMAC-SHA256 with a separate key gives the lookup
hash, so equality can be tested without decrypting. Keys come from settings (base64 of 32 bytes)
or are generated once into the data directory.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import keyfiles
from app.config import Settings, reveal


def _key(data_dir: Path, configured: str | None, filename: str) -> bytes:
    if configured:
        raw = base64.b64decode(configured)
        if len(raw) != 32:
            raise ValueError(f"{filename}: a key must be base64 of 32 bytes")
        return raw
    path = data_dir / filename
    if not path.exists():
        keyfiles.create(path, base64.b64encode(os.urandom(32)))
    return base64.b64decode(keyfiles.read(path).strip())


@lru_cache(maxsize=8)
def _keys(data_dir: str, pii_key: str | None, hash_key: str | None) -> tuple[bytes, bytes]:
    return _key(Path(data_dir), pii_key, "pii-aes.key"), _key(Path(data_dir), hash_key, "pii-hmac.key")


def keys(settings: Settings) -> tuple[bytes, bytes]:
    return _keys(str(settings.data_dir), reveal(settings.pii_key), reveal(settings.pii_hash_key))


def id_hash(settings: Settings, number: str) -> bytes:
    """The keyed hash of a normalised ID number (for lookup and uniqueness)."""
    return hmac.new(keys(settings)[1], number.upper().encode(), sha256).digest()


def encrypt(settings: Settings, number: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(keys(settings)[0]).encrypt(nonce, number.encode(), b"id_number")


def decrypt(settings: Settings, blob: bytes) -> str:
    return AESGCM(keys(settings)[0]).decrypt(blob[:12], blob[12:], b"id_number").decode()


class Sealer:
    """`encrypt` and `id_hash` for many numbers (a bulk import): the keys read and the AES-GCM
    object made once, not per number. The same ciphertext format and the same hash."""

    def __init__(self, settings: Settings) -> None:
        aes_key, self._hash_key = keys(settings)
        self._aes = AESGCM(aes_key)
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
        return nonce + self._aes.encrypt(nonce, number.encode(), b"id_number")

    def seal(self, number: str) -> tuple[bytes, bytes]:
        """(encrypted number, keyed hash)."""
        return self.encrypt(number), self.id_hash(number)


def seal(settings: Settings, data: bytes, context: bytes) -> bytes:
    """Any bytes encrypted with the PII key (AES-256-GCM, a fresh nonce, `context` as the
    associated data, so a blob sealed for one use does not open for another)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(keys(settings)[0]).encrypt(nonce, data, context)


def unseal(settings: Settings, blob: bytes, context: bytes) -> bytes:
    """The bytes `seal` encrypted (raises cryptography's InvalidTag when altered)."""
    return AESGCM(keys(settings)[0]).decrypt(blob[:12], blob[12:], context)


def parse_id_number(number: str) -> str:
    """Normalise and check an ID number with the policy rule; answer the normalised number."""
    from app.policy import ids

    return ids.parse_id_number(number).number
