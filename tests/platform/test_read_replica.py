"""Read replicas (XIAOKANG_READ_DATABASE_URL): reports and the event feed are read from a real
streaming standby, writes go to the primary, and a caller that just wrote reads its own writes.

Needs a standby of the test server: `.ci/replica start` makes one on 127.0.0.1:5433 and CI sets
XIAOKANG_TEST_READ_DATABASE_URL to it; elsewhere these tests are skipped."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import httpx
import pytest
from sqlalchemy import event

from app.db import Database, to_async_url

ENV = "XIAOKANG_TEST_READ_DATABASE_URL"
pytestmark = pytest.mark.skipif(not os.environ.get(ENV),
                                reason="needs a streaming replica (.ci/replica start)")


def _dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _wait_until(check, seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the replica did not catch up in time")


@pytest.fixture
async def replicated(db_url, test_settings):
    """An app on the test database with the standby as its read database; every statement is
    recorded with the engine that ran it."""
    from app.main import create_app

    read_url = to_async_url(os.environ[ENV]).set(database=db_url.database)

    async def database_on_replica() -> bool:
        try:
            conn = await asyncpg.connect(_dsn(read_url))
        except asyncpg.InvalidCatalogNameError:
            return False
        await conn.close()
        return True

    await _wait_until(database_on_replica)
    database = Database(db_url, pool_size=2, max_overflow=2, read_url=read_url)
    ran: list[tuple[str, str]] = []
    for name, engine in (("primary", database.engine), ("replica", database.read_engine)):
        event.listen(engine.sync_engine, "before_cursor_execute",
                     lambda c, cur, stmt, *a, name=name: ran.append((name, stmt)))
    app = create_app(test_settings.model_copy(update={
        "database_url": db_url.render_as_string(False),
        "read_database_url": read_url.render_as_string(False)}), db=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, ran, read_url
    await database.dispose()


def _where(ran, fragment: str) -> set[str]:
    return {engine for engine, stmt in ran if fragment in stmt}


async def test_a_report_is_served_by_the_replica_and_a_write_by_the_primary(replicated, make_user):
    client, ran, _ = replicated
    admin = await make_user("admin")
    r = await client.get("/api/v1/reports/summary", params={"region_code": "321200000000"},
                         headers=admin)
    assert r.status_code == 200, r.text
    assert _where(ran, "household") == {"replica"}, ran
    ran.clear()
    r = await client.post("/api/v1/regions", headers=admin, json={
        "code": "321283100000", "name": "黄桥镇", "parent_code": "321283000000"})
    assert r.status_code == 201, r.text
    assert _where(ran, "INSERT INTO region") == {"primary"}
    assert "replica" not in {engine for engine, stmt in ran if "INSERT" in stmt}


async def test_a_caller_reads_its_own_write_while_the_replica_lags(replicated, make_user):
    client, ran, read_url = replicated
    admin = await make_user("admin")
    replica = await asyncpg.connect(_dsn(read_url.set(database="postgres")))
    try:
        await replica.execute("SELECT pg_wal_replay_pause()")
        r = await client.post("/api/v1/regions", headers=admin, json={
            "code": "321283101000", "name": "虹桥镇", "parent_code": "321283000000"})
        assert r.status_code == 201, r.text
        ran.clear()
        feed = await client.get("/api/v1/events", params={"types": "region.created"},
                                headers=admin)
        assert feed.status_code == 200, feed.text
        assert "321283101000" in {e["entity_id"] for e in feed.json()["items"]}
        assert _where(ran, "FROM event") == {"primary"}  # the replica has not replayed it yet
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()

    async def caught_up() -> bool:
        ran.clear()
        await client.get("/api/v1/events", params={"types": "region.created"}, headers=admin)
        return _where(ran, "FROM event") == {"replica"}

    await _wait_until(caught_up)  # once replayed, the same caller's reads go back to the replica


async def test_an_export_reads_its_rows_on_the_replica_and_audits_on_the_primary(replicated,
                                                                                make_user):
    client, ran, _ = replicated
    admin = await make_user("admin")
    r = await client.get("/api/v1/exports/households", params={"format": "csv"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.text.lstrip("\ufeff").startswith("household_key,")
    assert _where(ran, "household_timeline") == {"replica"}, ran
    assert _where(ran, "INSERT INTO audit") == {"primary"}


async def test_a_roster_reads_who_is_eligible_on_the_replica_and_writes_on_the_primary(
        replicated, make_user):
    client, ran, _ = replicated
    admin = await make_user("admin")
    from tests.insurance.helpers import generate, make_scheme

    await make_scheme(client, admin, 2019, "basic_medical")  # a write: the fence moves

    async def generated_on_replica() -> bool:
        ran.clear()
        await generate(client, admin)
        return _where(ran, "FROM person_timeline") == {"replica"}

    await _wait_until(generated_on_replica)  # the replica has replayed the caller's scheme
    assert _where(ran, "FROM insurance_roster_entry") == {"primary"}  # the diff's stored rows
    assert _where(ran, "INSERT INTO insurance_roster_run") == {"primary"}


async def test_a_dci_search_reads_the_registry_on_the_replica_and_audits_on_the_primary(
        replicated, make_user, db_url):
    client, ran, _ = replicated
    admin = await make_user("admin")
    from tests.dci.conftest import department
    from tests.households.factories import head_of, register_household

    dept = await department(client, admin, "replica.taizhou.gov.cn",
                            scopes=("dci:search", "pii:read"), rate_limit_per_minute=1000)
    number = head_of(await register_household(client, admin, "321283100201"))["id_number"]

    async def search() -> list:
        ran.clear()
        r = await client.post("/dci/registry/sync/search", headers=dept.auth, json=dept.search(
            {"query_type": "idtype-value", "query": {"type": "NIN", "value": number}}))
        assert r.status_code == 200, r.text
        item = r.json()["message"]["search_response"][0]
        assert item["status"] == "succ", item
        return item["data"]["reg_records"]

    async def replica_has_the_household() -> bool:
        # the client never wrote: the replica answers, empty until it has replayed the household
        return bool(await search()) and _where(ran, "household_timeline") == {"replica"}

    await _wait_until(replica_has_the_household)
    primary = await asyncpg.connect(_dsn(db_url))
    try:
        async def audited(action: str) -> int:
            return await primary.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = $1 AND actor LIKE 'client:%'",
                action)

        before = {a: await audited(a) for a in ("pii.read", "dci.search")}
        records = await search()  # the search before it wrote: its fence stays where it was
        head = records[0]["group_head_info"]["member_identifier"][0]["identifier_value"]
        assert head == number  # unmasked: the client holds pii:read
        assert _where(ran, "household_timeline") == {"replica"}
        assert _where(ran, "INSERT INTO dci_transaction") == {"primary"}
        assert _where(ran, "INSERT INTO audit_log") == {"primary"}
        # this search's own rows: its dci.search row and the pii.read row of the unmasked read
        assert {a: await audited(a) for a in before} == {a: n + 1 for a, n in before.items()}
    finally:
        await primary.close()
