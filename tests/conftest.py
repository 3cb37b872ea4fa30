"""Test fixtures: a real PostgreSQL, migrated with Alembic, and a fresh database per test.

With DATABASE_URL set, databases are created on that server; otherwise on the embedded server
under ./.data. A template database is migrated once per run (so migrations are tested) and each
test gets its own copy, so tests are isolated even when they run concurrent transactions.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import URL

from app.config import Settings
from app.db import Database, embedded_admin_url, to_async_url
from app.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RUN = f"xkt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
_counter = itertools.count()


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


@pytest.fixture(scope="session")
def template_db(server_url: URL):
    """A database migrated to head once per run; every test copies it."""
    name = f"{RUN}_tpl"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    upgrade(server_url.set(database=name))
    yield name
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory) -> Settings:
    keys = tmp_path_factory.mktemp("keys")
    return Settings(database_url="postgresql://unused@127.0.0.1/unused", data_dir=keys,
                    log_json=True, pool_size=5, webhook_dispatch=False)


@pytest.fixture
async def db_url(server_url: URL, template_db: str) -> AsyncIterator[URL]:
    name = f"{RUN}_{next(_counter)}"
    await _admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    yield server_url.set(database=name)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(db_url: URL, test_settings: Settings) -> AsyncIterator[Database]:
    database = Database(db_url, pool_size=5, max_overflow=5)
    yield database
    await database.dispose()


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
