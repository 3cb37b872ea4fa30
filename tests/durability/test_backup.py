"""Backups that restore: one archive (a consistent dump, the keys encrypted with a passphrase, a
manifest), restored into an empty database and data directory, answers every request exactly as
before; a damaged archive, a wrong passphrase, a non-empty target and wrong keys are refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.backup import BackupError, backup, open_archive, restore
from app.db import Database
from app.keycheck import KeyMismatch, check_keys
from tests.conftest import _admin
from tests.dibao.helpers import approved_case, household, relief_members, set_standard
from tests.insurance.helpers import generate, make_scheme

PASS = "correct horse battery staple"


async def _registry(client, admin) -> tuple[str, str]:
    """A registered household on dibao (entitlements, a case) and a roster."""
    await set_standard(client, admin)
    h = await household(client, admin, net="2400.00", members=relief_members())
    case = await approved_case(client, admin, h["id"])
    await make_scheme(client, admin, year=2017, reference_date="2017-01-01")
    await generate(client, admin, year=2017)
    return h["id"], case["id"]


def _requests(household_id: str, case_id: str) -> list[str]:
    return [f"/api/v1/households/{household_id}",
            *(f"/api/v1/households/{household_id}/entitlements?as_of={d}"
              for d in ("2016-03-01", "2016-05-01", "2017-01-01")),
            f"/api/v1/dibao/cases/{case_id}",
            "/api/v1/insurance/rosters/2017/basic_medical/entries"]


async def _answers(client, headers, paths) -> list[tuple[int, bytes]]:
    out = []
    for path in paths:
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.text)
        out.append((r.status_code, r.content))
    return out


@pytest.fixture
async def scratch(server_url):
    """An empty database on the same server, dropped afterwards."""
    names = []

    async def make():
        name = f"xk_restore_{uuid.uuid4().hex[:8]}"
        await _admin(server_url, f'CREATE DATABASE "{name}"')
        names.append(name)
        return server_url.set(database=name)

    yield make
    for name in names:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_restored_registry_answers_byte_for_byte_as_before(
        client, admin, db_url, test_settings, tmp_path, scratch):
    hid, cid = await _registry(client, admin)
    paths = _requests(hid, cid)
    before = await _answers(client, admin, paths)
    archive = tmp_path / "xiaokang.backup"
    await backup(test_settings, db_url, archive, PASS)
    audit_before = await _answers(client, admin, ["/api/v1/audit?limit=500"])

    target = await scratch()
    restored = test_settings.model_copy(update={"data_dir": tmp_path / "restored"})
    summary = await restore(restored, target, archive, PASS)
    assert summary.row_counts["household"] == 1
    assert oct((tmp_path / "restored" / "pii-aes.key").stat().st_mode & 0o777) == "0o600"

    from app.main import create_app

    database = Database(target, pool_size=2, max_overflow=2)
    try:
        async with database.engine.connect() as conn:
            assert await check_keys(conn, restored) > 0  # the archived keys read the numbers
        app = create_app(restored.model_copy(update={"database_url": target.render_as_string(False)}),
                         db=database)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as again:
            # the same token: the signing key came back with the archive
            assert await _answers(again, admin, ["/api/v1/audit?limit=500"]) == audit_before
            assert await _answers(again, admin, paths) == before
    finally:
        await database.dispose()


async def test_a_wrong_passphrase_is_refused_and_nothing_is_written(
        client, admin, db_url, test_settings, tmp_path, scratch):
    await _registry(client, admin)
    archive = tmp_path / "b.backup"
    await backup(test_settings, db_url, archive, PASS)
    target = await scratch()
    restored = test_settings.model_copy(update={"data_dir": tmp_path / "r"})
    with pytest.raises(BackupError, match="wrong XIAOKANG_BACKUP_PASSPHRASE"):
        await restore(restored, target, archive, "not the passphrase")
    assert not (tmp_path / "r").exists()
    conn = await asyncpg.connect(target.set(drivername="postgresql").render_as_string(False))
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()


async def test_a_restore_into_a_database_that_is_not_empty_is_refused(db_url, test_settings,
                                                                      tmp_path):
    archive = tmp_path / "g.backup"
    await backup(test_settings, db_url, archive, PASS)
    with pytest.raises(BackupError, match="not empty"):
        await restore(test_settings.model_copy(update={"data_dir": tmp_path / "g"}), db_url,
                      archive, PASS)


async def test_truncated_or_altered_archives_are_refused(client, admin, db_url, test_settings,
                                                         tmp_path):
    await _registry(client, admin)
    archive = tmp_path / "c.backup"
    await backup(test_settings, db_url, archive, PASS)
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(BackupError, match=r"truncated|missing|damaged"):
        open_archive(truncated, PASS)
    altered = tmp_path / "altered.backup"
    with tarfile.open(archive) as src, tarfile.open(altered, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "database.dump":
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(m, io.BytesIO(data))
    with pytest.raises(BackupError, match=r"database\.dump does not match"):
        open_archive(altered, PASS)


def _rewrite_manifest(archive: Path, out: Path, change) -> None:
    with tarfile.open(archive) as src:
        parts = {m.name: src.extractfile(m).read() for m in src.getmembers()}
    manifest = json.loads(parts["manifest.json"])
    change(manifest)
    from app.backup import _derive

    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    key = _derive(PASS, base64.b64decode(manifest["kdf"]["salt"]))
    parts["manifest.json"] = body
    parts["manifest.mac"] = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    with tarfile.open(out, "w") as dst:
        for name, data in parts.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


async def test_an_archive_from_a_newer_schema_is_refused(client, admin, db_url, test_settings,
                                                         tmp_path, scratch):
    archive = tmp_path / "d.backup"
    await backup(test_settings, db_url, archive, PASS)
    newer = tmp_path / "newer.backup"
    _rewrite_manifest(archive, newer, lambda m: m.update(schema_revision="9999"))
    with pytest.raises(BackupError, match="newer than this code"):
        await restore(test_settings.model_copy(update={"data_dir": tmp_path / "n"}),
                      await scratch(), newer, PASS)


async def test_a_backup_never_overwrites_and_a_data_directory_with_keys_is_refused(
        db_url, test_settings, tmp_path, scratch):
    archive = tmp_path / "e.backup"
    await backup(test_settings, db_url, archive, PASS)
    with pytest.raises(BackupError, match="exists"):
        await backup(test_settings, db_url, archive, PASS)
    with pytest.raises(BackupError, match="already holds keys"):
        await restore(test_settings, await scratch(), archive, PASS)


async def test_the_server_refuses_to_start_with_keys_that_do_not_read_the_numbers(
        client, admin, db_url, test_settings, tmp_path, scratch):
    await _registry(client, admin)
    archive = tmp_path / "f.backup"
    await backup(test_settings, db_url, archive, PASS)
    target = await scratch()
    data_dir = tmp_path / "wrong-keys"
    await restore(test_settings.model_copy(update={"data_dir": data_dir}), target, archive, PASS)
    (data_dir / "pii-aes.key").write_text(base64.b64encode(os.urandom(32)).decode())
    from app import pii

    pii.forget_keys()
    database = Database(target, pool_size=1, max_overflow=0)
    try:
        async with database.engine.connect() as conn:
            with pytest.raises(KeyMismatch, match="cannot decrypt"):
                await check_keys(conn, test_settings.model_copy(update={"data_dir": data_dir}))
    finally:
        await database.dispose()
    env = {**os.environ, "DATABASE_URL": target.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(data_dir)}
    done = await asyncio.to_thread(subprocess.run, [
        sys.executable, "-m", "app.cli", "serve", "--no-worker", "--port", "8799"],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "cannot decrypt" in done.stdout, done.stdout + done.stderr
