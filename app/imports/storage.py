"""Uploaded files, kept durably in the data directory under their SHA-256 (so a queued job
survives a restart, and the same content is stored once). Written to a temporary name, fsynced,
then renamed: a file under its hash is always complete."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from app.imports.reader import EncodingSniffer, sniff_format

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    format: str
    encoding: str | None


def imports_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(settings: Settings, sha256: str) -> Path:
    return imports_dir(settings) / sha256


async def store_upload(settings: Settings, upload, name: str) -> StoredFile:
    """Stream an upload (an object with async `read(n)`) to the data directory; answer its
    hash, size, format and (for text) encoding, found in the same single pass."""
    directory = imports_dir(settings)
    tmp = directory / f".upload-{os.getpid()}-{id(upload)}"
    digest = hashlib.sha256()
    sniffer = EncodingSniffer()
    size = 0
    head = b""
    try:
        with open(tmp, "wb") as f:
            while chunk := await upload.read(CHUNK):
                if not head:
                    head = chunk[:4096]
                digest.update(chunk)
                sniffer.feed(chunk)
                f.write(chunk)
                size += len(chunk)
            sniffer.feed(b"", final=True)
            f.flush()
            os.fsync(f.fileno())
        sha = digest.hexdigest()
        fmt = sniff_format(name, head)
        os.replace(tmp, directory / sha)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredFile(sha, size, fmt, None if fmt == "xlsx" else sniffer.encoding)
