"""Password and secret hashing with argon2id (argon2-cffi).

A hash costs about 160 ms of CPU: the async callers use `hash_password_async` and
`verify_password_async`, which run it in a worker thread, never on the event loop.
"""

from __future__ import annotations

import hashlib
import secrets

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not reveal usernames.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """The stored hash was made with other argon2 parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


async def hash_password_async(password: str) -> str:
    return await to_thread.run_sync(hash_password, password)


async def verify_password_async(stored: str | None, password: str) -> bool:
    return await to_thread.run_sync(verify_password, stored, password)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> bytes:
    """Refresh tokens are random and long: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).digest()
