"""Attachment content at rest: `<data dir>/attachments/<sha256>`, AES-256-GCM with its own key.

The key is `XIAOKANG_ATTACHMENT_KEY` (base64 of 32 bytes) or `attachments-aes.key`, generated
once into the data directory with mode 600 like the other keys. Each file is a fresh 96-bit nonce
followed by the ciphertext; the SHA-256 of the plain content is the associated data, so a file
cannot be swapped for another one under its name. Files are written with mode 600, atomically.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import Settings, reveal
from app.pii import _key

MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
         (b"%PDF-", "application/pdf"))


def sniff(head: bytes) -> str | None:
    """The content type by the file's first bytes (JPEG, PNG, PDF), whatever it is called."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def _dir(settings: Settings) -> Path:
    d = Path(settings.data_dir) / "attachments"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _aes(settings: Settings) -> AESGCM:
    return AESGCM(_key(Path(settings.data_dir), reveal(settings.attachment_key),
                       "attachments-aes.key"))


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def put(settings: Settings, content: bytes) -> str:
    """Store the content encrypted under its SHA-256 (once: the same content is one file)."""
    sha = digest(content)
    path = _dir(settings) / sha
    if path.exists():
        return sha
    nonce = os.urandom(12)
    blob = nonce + _aes(settings).encrypt(nonce, content, sha.encode())
    tmp = path.with_suffix(f".{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return sha


def get(settings: Settings, sha: str) -> bytes:
    """The plain content of `sha` (its integrity checked by AES-GCM and the digest)."""
    blob = (_dir(settings) / sha).read_bytes()
    content = _aes(settings).decrypt(blob[:12], blob[12:], sha.encode())
    if digest(content) != sha:  # pragma: no cover - AES-GCM already authenticates it
        raise ValueError("attachment content does not match its name")
    return content
