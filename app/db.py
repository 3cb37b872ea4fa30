"""Engine, sessions and the embedded PostgreSQL.

With no DATABASE_URL the app starts (or joins) an embedded PostgreSQL 16 from the `pgserver`
package, with its data under `<data_dir>/pg`, kept between runs. The request boundary owns the
transaction: `session_dependency` commits when the endpoint returns and rolls back on error;
services never commit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.config import Settings, reveal

APP_DATABASE = "xiaokang"
_embedded: dict[str, object] = {}


def embedded_server(data_dir: Path):
    """Start (or join) the embedded server for this data directory; it stops with the last user."""
    key = str(data_dir.resolve())
    if key not in _embedded:
        import pgserver  # imported lazily: a configured DATABASE_URL never needs it

        path = data_dir.resolve() / "pg"
        path.mkdir(parents=True, exist_ok=True)
        _embedded[key] = pgserver.get_server(path, cleanup_mode="stop")
    return _embedded[key]


def embedded_admin_url(data_dir: Path) -> URL:
    """URL of the embedded server's `postgres` database (for creating databases)."""
    srv = embedded_server(data_dir)
    socket_dir = re.search(r"host=([^&]+)", srv.get_uri()).group(1)  # type: ignore[union-attr]
    return URL.create("postgresql+asyncpg", username="postgres", database="postgres",
                      query={"host": socket_dir})


def to_async_url(url: str | URL) -> URL:
    u = make_url(url) if isinstance(url, str) else url
    return u.set(drivername="postgresql+asyncpg")


def ensure_embedded_database(data_dir: Path, name: str = APP_DATABASE) -> URL:
    """Create the application database in the embedded server when missing; return its URL."""
    srv = embedded_server(data_dir)
    exists = srv.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        srv.psql(f'CREATE DATABASE "{name}";')
    return embedded_admin_url(data_dir).set(database=name)


def database_url(settings: Settings) -> URL:
    if url := reveal(settings.database_url):
        return to_async_url(url)
    return ensure_embedded_database(settings.data_dir)


class Database:
    """The engine and session factory of one app instance."""

    def __init__(self, url: URL, pool_size: int = 10, max_overflow: int = 5) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings), settings.pool_size, settings.max_overflow)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error.

    Used with `Depends(..., scope="function")` so the commit happens before the response is sent,
    and a failed commit becomes an error response instead of a silent loss.
    """
    db: Database = request.app.state.db
    async with db.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
