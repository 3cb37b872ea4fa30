"""Uploaded registers at rest: encrypted with the PII key, owner-only, deleted after retention."""

from __future__ import annotations

import io
import os
import random
import stat
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.imports.reader import FileError
from app.imports.storage import (
    CHUNK,
    HEADER,
    RECORD,
    imports_dir,
    open_stored,
    store_upload,
    stored_path,
    sweep_stored_files,
)
from tests.imports.helpers import (
    HEADER_EN,
    csv_bytes,
    household_rows,
    import_file,
    make_village,
    run,
    upload,
)


class _Upload:
    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    async def read(self, n: int) -> bytes:
        # Uneven pieces, as a network gives them.
        return self._f.read(random.randint(1, n))


async def test_an_uploaded_register_is_stored_encrypted_and_readable_by_its_owner_only(
        client, admin, test_settings):
    await make_village(client, admin)
    rows = household_rows("H1", 10)
    r = await upload(client, admin, csv_bytes(HEADER_EN, rows))
    assert r.status_code == 202, r.text
    path = stored_path(test_settings, r.json()["file_hash"])
    stored = path.read_bytes()
    assert rows[0][9].encode() not in stored and b"Wang Jianguo" not in stored
    assert b"household_key" not in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(imports_dir(test_settings).stat().st_mode) == 0o700


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5])
async def test_a_stored_file_reads_back_exactly_from_any_offset(size, test_settings):
    data = os.urandom(size)
    stored = await store_upload(test_settings, _Upload(data), "x.csv")
    assert stored.size == size
    with open_stored(test_settings, stored_path(test_settings, stored.sha256)) as f:
        assert f.read() == data
        for at in {0, size // 2, max(0, size - 3), CHUNK - 2, CHUNK + 7}:
            f.seek(at)
            assert f.read(10) == data[at:at + 10]
        if size >= 4:
            f.seek(-4, io.SEEK_END)
            assert f.read() == data[-4:]


async def test_a_stored_file_altered_or_cut_short_is_refused(test_settings):
    data = os.urandom(2 * CHUNK + 100)
    stored = await store_upload(test_settings, _Upload(data), "x.csv")
    path = stored_path(test_settings, stored.sha256)
    original = path.read_bytes()

    flipped = bytearray(original)
    flipped[HEADER + 10] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(FileError) as e, open_stored(test_settings, path) as f:
        f.read()
    assert e.value.code == "import.file.unreadable"

    # The last record dropped: the one before it is not flagged last, so it does not decrypt.
    path.write_bytes(original[:HEADER + 2 * RECORD])
    with pytest.raises(FileError), open_stored(test_settings, path) as f:
        f.read()


async def test_stored_files_are_deleted_after_retention_once_their_jobs_ended(
        client, app, db, admin, test_settings):
    await make_village(client, admin)
    old = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, household_rows("H1", 10)))
    recent = await import_file(client, app, db, admin,
                               csv_bytes(HEADER_EN, household_rows("H2", 20)))
    queued = (await upload(client, admin, csv_bytes(HEADER_EN, household_rows("H3", 30)))).json()
    assert old["state"] == recent["state"] == "succeeded"
    assert queued["state"] == "queued"
    now = datetime.now(UTC)
    async with db.sessionmaker() as s:
        await s.execute(text("UPDATE import_job SET finished_at = :t WHERE id = :j"),
                        {"t": now - timedelta(days=30, minutes=1), "j": old["id"]})
        await s.execute(text("UPDATE import_job SET finished_at = :t WHERE id = :j"),
                        {"t": now - timedelta(days=29, hours=23), "j": recent["id"]})
        await s.execute(text("UPDATE import_job SET created_at = :t WHERE id = :j"),
                        {"t": now - timedelta(days=90), "j": queued["id"]})
        hashes = dict((await s.execute(text("SELECT id::text, file_hash FROM import_job"))).all())
        await s.commit()
    orphan_old = imports_dir(test_settings) / ("a" * 64)
    orphan_new = imports_dir(test_settings) / ("b" * 64)
    for p in (orphan_old, orphan_new):
        p.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(orphan_old, (two_hours_ago, two_hours_ago))

    assert test_settings.import_file_retention_days == 30
    deleted = await sweep_stored_files(db, test_settings, now=now)
    assert sorted(deleted) == sorted([hashes[old["id"]], "a" * 64])
    assert not stored_path(test_settings, hashes[old["id"]]).exists()
    assert stored_path(test_settings, hashes[recent["id"]]).exists()
    assert stored_path(test_settings, hashes[queued["id"]]).exists()
    assert orphan_new.exists()

    # A shorter retention (the setting) takes the recent one too; the queued one still stays.
    short = test_settings.model_copy(update={"import_file_retention_days": 1})
    assert await sweep_stored_files(db, short, now=now) == [hashes[recent["id"]]]
    assert stored_path(test_settings, hashes[queued["id"]]).exists()
    orphan_new.unlink()


async def test_a_file_stored_before_encryption_is_still_read(client, app, db, admin, test_settings):
    await make_village(client, admin)
    content = csv_bytes(HEADER_EN, household_rows("H1", 10))
    r = await upload(client, admin, content)
    # As an older version stored it: the upload as it came.
    stored_path(test_settings, r.json()["file_hash"]).write_bytes(content)
    await run(app, db, r.json())
    job = (await client.get(f"/api/v1/imports/{r.json()['id']}", headers=admin)).json()
    assert job["state"] == "succeeded", job
