"""Uploaded files, kept durably in the data directory under their SHA-256 (so a queued job
survives a restart, and the same content is stored once). Written to a temporary name, fsynced,
then renamed: a file under its hash is always complete.

A register holds ID numbers, so it is stored encrypted with the PII key (AES-256-GCM), readable
by the owner only (files 600, directory 700), and deleted `import_file_retention_days` after the
last job of that file ended (`sweep_stored_files`, run by the worker).

The encrypted format streams (never the whole file in memory, either way) and can be read at any
offset (XLSX is a zip, read from its end): a header `XKI1` + 16-byte salt, then records of
`CHUNK` plaintext bytes each (the last one shorter), each record a 4-byte length, a 1-byte
"last" flag and the AES-GCM ciphertext. The key of the file is HKDF-SHA256(PII key, salt); the
nonce of record i is i (96 bits); the record's index and flag are authenticated, so records
cannot be reordered, dropped or the file cut short unnoticed."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, select

from app.config import Settings
from app.imports.reader import EncodingSniffer, FileError, sniff_format
from app.pii import keys

log = structlog.get_logger("xiaokang.imports.storage")
CHUNK = 1 << 20
MAGIC = b"XKI1"
SALT = 16
HEADER = len(MAGIC) + SALT
_RECORD_HEAD = struct.Struct(">IB")  # ciphertext length, last flag
_TAG = 16
RECORD = _RECORD_HEAD.size + CHUNK + _TAG  # every record but the last
# A stored file no job refers to (its upload was refused, or its transaction is still open) is
# left alone for this long.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    format: str
    encoding: str | None


def imports_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def stored_path(settings: Settings, sha256: str) -> Path:
    return imports_dir(settings) / sha256


def _file_key(settings: Settings, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
               info=b"xiaokang import file").derive(keys(settings)[0])
    return AESGCM(key)


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">QB", index, int(last))


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


class EncryptingWriter:
    """Writes plaintext given in pieces of any size as the encrypted format, one CHUNK in memory."""

    def __init__(self, settings: Settings, f) -> None:
        salt = os.urandom(SALT)
        self._aes = _file_key(settings, salt)
        self._f = f
        self._buf = bytearray()
        self._index = 0
        f.write(MAGIC + salt)

    def _record(self, data: bytes, last: bool) -> None:
        ct = self._aes.encrypt(_nonce(self._index), data, _aad(self._index, last))
        self._f.write(_RECORD_HEAD.pack(len(ct), int(last)) + ct)
        self._index += 1

    def write(self, data: bytes) -> None:
        self._buf += data
        # Strictly more than a CHUNK kept back: the last record is never empty unless the file is.
        while len(self._buf) > CHUNK:
            self._record(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]

    def close(self) -> None:
        self._record(bytes(self._buf), last=True)
        self._buf.clear()


class DecryptingReader(io.RawIOBase):
    """A seekable binary file over an encrypted stored file: one record decrypted at a time."""

    def __init__(self, settings: Settings, path: Path) -> None:
        self._f = open(path, "rb")
        head = self._f.read(HEADER)
        if len(head) != HEADER or not head.startswith(MAGIC):
            self._f.close()
            raise FileError("import.file.unreadable", "the stored file is not in the stored format")
        self._aes = _file_key(settings, head[len(MAGIC):])
        length = os.fstat(self._f.fileno()).st_size - HEADER
        self._records = max(1, -(-length // RECORD))
        last_at = HEADER + (self._records - 1) * RECORD
        self._f.seek(last_at)
        ct_len, _ = _RECORD_HEAD.unpack(self._f.read(_RECORD_HEAD.size) or b"\0" * 5)
        self._size = (self._records - 1) * CHUNK + max(0, ct_len - _TAG)
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def _plain(self, index: int) -> bytes:
        if self._cached and self._cached[0] == index:
            return self._cached[1]
        self._f.seek(HEADER + index * RECORD)
        ct_len, last = _RECORD_HEAD.unpack(self._f.read(_RECORD_HEAD.size))
        expected_last = index == self._records - 1
        ct = self._f.read(ct_len)
        try:
            if bool(last) != expected_last:
                raise InvalidTag
            data = self._aes.decrypt(_nonce(index), ct, _aad(index, expected_last))
        except InvalidTag:
            raise FileError("import.file.unreadable",
                            "the stored file is damaged (it does not decrypt)") from None
        self._cached = (index, data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, b) -> int:
        if self._pos >= self._size:
            return 0
        index, at = divmod(self._pos, CHUNK)
        data = self._plain(index)[at:at + len(b)]
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


def open_stored(settings: Settings, path: Path) -> io.BufferedReader:
    """The stored file's plaintext as a seekable binary stream (close it). A file stored before
    uploads were encrypted (no header) is read as it is, until the retention sweep deletes it."""
    with open(path, "rb") as f:
        legacy = not f.read(len(MAGIC)).startswith(MAGIC)
    if legacy:
        log.warning("import_file_not_encrypted", file=path.name)
        return open(path, "rb")
    return io.BufferedReader(DecryptingReader(settings, path), buffer_size=1 << 16)


async def store_upload(settings: Settings, upload, name: str) -> StoredFile:
    """Stream an upload (an object with async `read(n)`) to the data directory, encrypted;
    answer its hash, size, format and (for text) encoding, found in the same single pass."""
    directory = imports_dir(settings)
    tmp = directory / f".upload-{os.getpid()}-{id(upload)}"
    digest = hashlib.sha256()
    sniffer = EncodingSniffer()
    size = 0
    head = b""
    xlsx_limit = settings.import_xlsx_max_mb * 1024 * 1024
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            writer = EncryptingWriter(settings, f)
            while chunk := await upload.read(CHUNK):
                if not head:
                    head = chunk[:4096]
                if size + len(chunk) > xlsx_limit and sniff_format(name, head) == "xlsx":
                    raise FileError("import.file.too_large",
                                    f"an XLSX file may be up to {settings.import_xlsx_max_mb} MB "
                                    "(save it as CSV, which has no limit, or split it)")
                digest.update(chunk)
                sniffer.feed(chunk)
                writer.write(chunk)
                size += len(chunk)
            writer.close()
            sniffer.feed(b"", final=True)
            f.flush()
            os.fsync(f.fileno())
        sha = digest.hexdigest()
        fmt = sniff_format(name, head)
        os.replace(tmp, directory / sha)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredFile(sha, size, fmt, None if fmt == "xlsx" else sniffer.encoding)


async def sweep_stored_files(db, settings: Settings, now: datetime | None = None) -> list[str]:
    """Delete the stored files whose every job ended over `import_file_retention_days` ago (and
    files no job refers to, after ORPHAN_GRACE); a file of a queued or running job stays.
    Answers the hashes deleted."""
    from app.models.imports import ImportJob

    now = now or datetime.now(UTC)
    keep_after = now - timedelta(days=settings.import_file_retention_days)
    directory = imports_dir(settings)
    files = {p.name: p for p in directory.iterdir() if not p.name.startswith(".") and p.is_file()}
    if not files:
        return []
    async with db.sessionmaker() as s:
        rows = (await s.execute(
            select(ImportJob.file_hash,
                   func.bool_or(ImportJob.state.in_(("queued", "running"))),
                   func.max(ImportJob.finished_at))
            .where(ImportJob.file_hash.in_(list(files)))
            .group_by(ImportJob.file_hash))).all()
    jobs = {sha: (live, ended) for sha, live, ended in rows}
    deleted = []
    for sha, path in files.items():
        if sha in jobs:
            live, ended = jobs[sha]
            expired = not live and ended is not None and ended < keep_after
        else:
            expired = time.time() - path.stat().st_mtime > ORPHAN_GRACE.total_seconds()
        if expired:
            path.unlink(missing_ok=True)
            deleted.append(sha)
    if deleted:
        log.info("import_files_deleted", count=len(deleted),
                 retention_days=settings.import_file_retention_days)
    return deleted
