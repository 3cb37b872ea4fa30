"""XIAOKANG_TRANSACTION_POOLER: behind a transaction-mode pooler that does not track prepared
statements (PgBouncer before 1.21), consecutive statements of a session may run on different
server connections, so none may stay prepared in a server session for the next one to use."""

from __future__ import annotations

from sqlalchemy import text

from app.db import Database

# The statements the session left prepared, the one counting them aside.
LEFT = ("SELECT count(*) FROM pg_prepared_statements "
        "WHERE statement NOT LIKE '%pg_prepared_statements%'")


async def _left_prepared(settings) -> int:
    database = Database.from_settings(settings)
    try:
        async with database.engine.connect() as conn:
            for n in range(3):
                assert await conn.scalar(text("SELECT CAST(:n AS int) + 1"), {"n": n}) == n + 1
            return await conn.scalar(text(LEFT))
    finally:
        await database.dispose()


async def test_behind_a_transaction_pooler_no_statement_stays_prepared(db_url, test_settings):
    settings = test_settings.model_copy(update={"database_url": db_url.render_as_string(False)})
    assert await _left_prepared(settings) >= 1  # by default asyncpg keeps its statements
    pooled = settings.model_copy(update={"transaction_pooler": True})
    assert await _left_prepared(pooled) == 0
