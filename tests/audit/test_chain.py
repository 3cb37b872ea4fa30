"""The tamper-evident audit log (clause 十五): rows sealed into a hash chain at commit, and
`xiaokang audit verify` naming the first row that was edited, removed or slipped in."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import asyncpg
import pytest
from sqlalchemy import text

from app.audit.chain import publish_head, verify


def _dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _audited_changes(client, admin, n: int = 3) -> None:
    for i in range(n):
        r = await client.post("/api/v1/regions", headers=admin, json={
            "code": f"3212831{i:02d}000", "name": f"镇{i}", "parent_code": "321283000000"})
        assert r.status_code == 201, r.text


async def _as_owner(db_url, *statements: str) -> None:
    conn = await asyncpg.connect(_dsn(db_url))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def _ids(db) -> list[int]:
    async with db.engine.connect() as conn:
        return list((await conn.scalars(text(
            "SELECT id FROM audit_log ORDER BY chain_seq"))).all())


async def test_every_committed_audit_row_is_sealed_into_one_chain(client, admin, db):
    await _audited_changes(client, admin)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT chain_seq, row_hash, chain_hash FROM audit_log ORDER BY chain_seq"))).all()
        result = await verify(conn)
    assert len(rows) >= 3 and all(r.chain_hash is not None for r in rows)
    assert [r.chain_seq for r in rows] == sorted({r.chain_seq for r in rows})
    assert result.mismatch is None and result.rows == len(rows)


async def test_an_edited_row_is_named_even_when_the_guard_was_disabled_by_the_owner(
        client, admin, db, db_url):
    await _audited_changes(client, admin)
    victim = (await _ids(db))[1]
    await _as_owner(
        db_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        f"UPDATE audit_log SET actor_name = 'someone else' WHERE id = {victim}",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    async with db.engine.connect() as conn:
        result = await verify(conn)
    assert result.mismatch is not None and result.mismatch.audit_id == victim
    assert "content" in result.mismatch.reason


async def test_a_removed_row_breaks_the_chain_at_the_row_after_it(client, admin, db, db_url):
    await _audited_changes(client, admin)
    ids = await _ids(db)
    await _as_owner(
        db_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        f"DELETE FROM audit_log WHERE id = {ids[1]}",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    async with db.engine.connect() as conn:
        result = await verify(conn)
    assert result.mismatch is not None and result.mismatch.audit_id == ids[2]


async def test_a_row_written_with_the_sealing_trigger_disabled_is_named(client, admin, db, db_url):
    await _audited_changes(client, admin, 1)
    await _as_owner(
        db_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain",
        "INSERT INTO audit_log (actor, actor_name, action, entity_type) "
        "VALUES ('user:x', 'x', 'forged', 'household')",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain")
    async with db.engine.connect() as conn:
        forged = await conn.scalar(text("SELECT id FROM audit_log WHERE action = 'forged'"))
        result = await verify(conn)
    assert result.mismatch is not None and result.mismatch.audit_id == forged


async def test_the_guard_still_refuses_any_update_of_a_sealed_row(client, admin, db_url):
    await _audited_changes(client, admin, 1)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _as_owner(db_url, "UPDATE audit_log SET chain_hash = NULL, actor_name = 'x'")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _as_owner(db_url, "UPDATE audit_log SET row_hash = sha256('x'::bytea)")


async def test_verify_from_a_position_trusts_the_hash_before_it(client, admin, db, db_url):
    await _audited_changes(client, admin)
    ids = await _ids(db)
    async with db.engine.connect() as conn:
        seq = await conn.scalar(text(f"SELECT chain_seq FROM audit_log WHERE id = {ids[-1]}"))
        result = await verify(conn, from_seq=seq)
    assert result.mismatch is None and result.rows == 1


async def test_the_cli_exits_1_naming_the_row_and_0_when_the_chain_holds(client, admin, db, db_url,
                                                                        tmp_path):
    await _audited_changes(client, admin)
    env = {**os.environ, "DATABASE_URL": db_url.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "app.cli", "audit", "verify"]
    ok = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "audit chain holds" in ok.stdout, ok.stdout + ok.stderr
    victim = (await _ids(db))[0]
    await _as_owner(
        db_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        f"UPDATE audit_log SET after = '{{\"forged\": true}}' WHERE id = {victim}",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and f"audit row {victim}" in bad.stdout, bad.stdout + bad.stderr


async def test_the_day_s_chain_head_is_published_once_as_an_event(client, admin, session):
    await _audited_changes(client, admin, 1)
    first = await publish_head(session, date(2026, 12, 1))
    await session.commit()
    again = await publish_head(session, date(2026, 12, 1))
    await session.commit()
    assert first is not None and first["chain_seq"] >= 1 and len(first["chain_hash"]) == 64
    assert again is None
    events = (await client.get("/api/v1/events", params={"types": "audit.chain_head"},
                               headers=admin)).json()["items"]
    assert [e["payload"] for e in events] == [first]
