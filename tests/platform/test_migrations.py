"""Migrations are the only way the schema is made: they must match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.migrate import alembic_config
from app.models import Base


async def test_migrated_schema_matches_the_models(db):
    def diff(connection):
        ctx = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    # procrastinate's own tables are applied from its shipped schema, not from our models
    changes = [c for c in changes if "procrastinate" not in repr(c)]
    assert changes == [], changes


def test_there_is_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"merge the migration heads: {heads}"


def test_every_migration_downgrades_and_upgrades_again(server_url):
    """upgrade head → downgrade base → upgrade head on a scratch database."""
    import asyncio
    import uuid

    from alembic import command

    from tests.conftest import _admin

    name = f"xk_roundtrip_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        cfg = alembic_config(server_url.set(database=name))
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_two_processes_migrating_at_once_both_succeed(server_url):
    """Replicas started together each run `migrate`: the advisory lock makes them take turns,
    so neither trips over the other's half-made tables."""
    import asyncio
    import subprocess
    import sys
    import uuid

    from tests.conftest import _admin

    name = f"xk_race_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = server_url.set(database=name)
        code = ("import sys; from app.migrate import upgrade; upgrade(sys.argv[1])")
        runs = [subprocess.Popen([sys.executable, "-c", code, url.render_as_string(False)],
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err[-2000:]
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()

        async def current() -> str:
            import asyncpg

            conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
            try:
                return await conn.fetchval("SELECT version_num FROM alembic_version")
            finally:
                await conn.close()

        assert asyncio.run(current()) == head
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
