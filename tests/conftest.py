"""Test fixtures: a real PostgreSQL, migrated with Alembic, and a fresh database per test.

With DATABASE_URL set, the run's database is created on that server; otherwise on the embedded
server under ./.data. It is migrated once per run with Alembic (so migrations are tested), and
after each test it is brought back to its just-migrated state (truncate, restore the seeded rows),
so tests are isolated while still running real concurrent transactions.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import URL

from app.auth import passwords
from app.config import Settings
from app.db import Database, embedded_admin_url, to_async_url
from app.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent

# The suite creates thousands of accounts: in this process argon2id runs with its cheapest
# parameters (the app started in a subprocess, and production, keep the real ones).
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
passwords._DUMMY = passwords._hasher.hash("not-a-real-password")
RUN = f"xkt_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _server_url() -> URL:
    if os.environ.get("DATABASE_URL"):
        return to_async_url(os.environ["DATABASE_URL"])
    return embedded_admin_url(Path(os.environ.get("XIAOKANG_DATA_DIR", ROOT / ".data")))


def _connect_kwargs(url: URL) -> dict:
    host = url.host or url.query.get("host")
    return {"host": host, "port": url.port, "user": url.username, "password": url.password,
            "database": url.database}


async def _admin(url: URL, sql: str) -> None:
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def server_url() -> URL:
    return _server_url()


SEED_SCHEMA = "xk_seed"


async def _snapshot_seeds(url: URL) -> tuple[list[str], list[str]]:
    """Copy the rows the migrations seeded (regions, lines...) aside; answer (tables, seeded)."""
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename")]
        seeded = []
        await conn.execute(f'CREATE SCHEMA "{SEED_SCHEMA}"')
        for t in tables:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM public."{t}")'):
                await conn.execute(f'CREATE TABLE "{SEED_SCHEMA}"."{t}" AS TABLE public."{t}"')
                seeded.append(t)
        return tables, seeded
    finally:
        await conn.close()


async def _reset(url: URL, tables: list[str], seeded: list[str]) -> None:
    """Bring the test database back to its just-migrated state (much cheaper than DROP DATABASE,
    which forces a checkpoint): end stray connections, empty every table, restore the seeded
    rows."""
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        # replica role: the append-only audit log's guard and FK checks stay quiet
        await conn.execute("SET session_replication_role = replica")
        async with conn.transaction():
            # DELETE, not TRUNCATE: a test leaves a few rows, and deleting them is far cheaper
            # than new files for every table. Identities continue, so seeded ids stay taken.
            await conn.execute("; ".join(f'DELETE FROM public."{t}"' for t in tables))
            for t in seeded:
                await conn.execute(f'INSERT INTO public."{t}" SELECT * FROM "{SEED_SCHEMA}"."{t}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(server_url: URL):
    """The run's database, migrated once with Alembic (so migrations are tested); each test
    starts from its just-migrated state."""
    name = f"{RUN}_db"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = server_url.set(database=name)
    upgrade(url)
    tables, seeded = asyncio.run(_snapshot_seeds(url))
    yield name, tables, seeded
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory) -> Settings:
    keys = tmp_path_factory.mktemp("keys")
    return Settings(database_url="postgresql://unused@127.0.0.1/unused", data_dir=keys,
                    log_json=True, pool_size=5, webhook_dispatch=False)


@pytest.fixture
async def db_url(server_url: URL, template_db) -> AsyncIterator[URL]:
    name, tables, seeded = template_db
    url = server_url.set(database=name)
    yield url
    await _reset(url, tables, seeded)


@pytest.fixture
async def db(db_url: URL, test_settings: Settings) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=5, max_overflow=5)
    yield database
    try:
        await _timelines_agree(database)
    finally:
        await database.dispose()


async def _timelines_agree(database: Database) -> None:
    """Whatever a test wrote through the services, the importer or the workflows, the stored
    timelines must be what the facts give (each write path writes them in its transaction)."""
    from app.timelines import store

    async with database.sessionmaker() as s:
        found = await s.run_sync(store.differences)
    assert found == [], found


@pytest.fixture
def app(db: Database, test_settings: Settings):
    from app.main import create_app

    return create_app(test_settings.model_copy(update={"database_url": db.url.render_as_string(False)}),
                      db=db)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def session(db: Database):
    async with db.sessionmaker() as s:
        yield s


UserFactory = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def make_user(db: Database, app, test_settings: Settings) -> UserFactory:
    """Create a user with a role and region; answer Authorization headers for it."""

    async def factory(role: str = "admin", region_code: str = "321200000000",
                      extra_scopes: list[str] | None = None, username: str | None = None,
                      helper_id: uuid.UUID | None = None, id_number: str | None = None,
                      password: str = "correct horse battery") -> dict[str, str]:
        from app.auth.schemas import UserIn
        from app.auth.service import _user_claims, create_user

        name = username or f"{role}_{uuid.uuid4().hex[:8]}"
        async with db.sessionmaker() as s:
            user = await create_user(s, None, UserIn(
                username=name, password=password, role=role, region_code=region_code,
                extra_scopes=extra_scopes or [], helper_id=helper_id, id_number=id_number,
            ), test_settings)
            await s.commit()
        claims, _ = _user_claims(user)
        token, _ = app.state.tokens.issue(f"user:{user.id}", claims)
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture
async def admin(make_user: UserFactory) -> dict[str, str]:
    return await make_user("admin")


def assert_problem(resp: httpx.Response, status: int, code: str) -> dict:
    """The answer is problem+json with this status and stable code."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body = resp.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert {"type", "title", "detail"} <= set(body)
    return body
