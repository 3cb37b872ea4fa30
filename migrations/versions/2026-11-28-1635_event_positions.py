"""event feed positions given at commit, in commit order

The feed first hid events of transactions younger than the oldest running one (snapshot xmin).
That horizon is cluster-wide, so any long transaction anywhere (a bulk import, a report) stalled
every client's feed. Now a deferred constraint trigger gives each transaction's events their
positions at commit, under a transaction-scoped advisory lock held only until the commit ends:
positions therefore become visible in increasing order, and a reader past position N never
misses an event below N.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 16:35:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK_KEY = 3212_2016_05  # any constant: the advisory lock of the event feed


def upgrade() -> None:
    op.add_column("event", sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute("CREATE SEQUENCE event_position_seq")
    op.execute("UPDATE event e SET position = p.pos FROM (SELECT id, nextval('event_position_seq') AS pos "
               "FROM (SELECT id FROM event ORDER BY id) s) p WHERE e.id = p.id")
    op.create_unique_constraint(op.f("uq_event_position"), "event", ["position"])
    op.execute(f"""
        CREATE FUNCTION event_assign_positions() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            tx text := pg_current_xact_id()::text;
        BEGIN
            -- Deferred: runs at commit, once per inserted event; the first call of the
            -- transaction numbers all of its events, the others return at once.
            IF current_setting('xiaokang.events_positioned', true) = tx THEN
                RETURN NULL;
            END IF;
            PERFORM pg_advisory_xact_lock({LOCK_KEY});
            UPDATE event e SET position = p.pos
              FROM (SELECT id, nextval('event_position_seq') AS pos
                      FROM (SELECT id FROM event
                             WHERE txid = tx::bigint AND position IS NULL ORDER BY id) s) p
             WHERE e.id = p.id;
            PERFORM set_config('xiaokang.events_positioned', tx, true);
            RETURN NULL;
        END $$;
    """)
    op.execute("CREATE CONSTRAINT TRIGGER event_positions AFTER INSERT ON event "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION event_assign_positions()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS event_positions ON event")
    op.execute("DROP FUNCTION IF EXISTS event_assign_positions()")
    op.drop_constraint(op.f("uq_event_position"), "event", type_="unique")
    op.drop_column("event", "position")
    op.execute("DROP SEQUENCE IF EXISTS event_position_seq")
