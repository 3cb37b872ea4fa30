"""A tamper-evident audit log: each row's content hash chained to the previous row's, at commit

Every audit row gets, when its transaction commits, its place in the chain (`chain_seq`, in
commit order, under the same advisory lock as the event feed's positions), the SHA-256 of its
content (`row_hash`) and `chain_hash` = SHA-256(previous chain_hash ‖ row_hash). The append-only
guard lets exactly that one update through (chain columns from empty to set, nothing else
changed). `xiaokang audit verify` recomputes the chain with its own copy of the digest, so an
edited row, a removed row or a replaced function shows; the head is published daily.

Revision ID: 0701
Revises: 0601
Create Date: 2026-12-01 09:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0701"
down_revision: str | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK_KEY = 3212_2016_05  # the event feed's commit-order lock: one lock, no ordering deadlocks
# The content of a row, as `xiaokang audit verify` (app/audit/chain.py) also writes it.
DIGEST = ("sha256(convert_to(jsonb_build_array(a.id, "
          "to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), a.actor, "
          "a.actor_name, a.action, a.entity_type, a.entity_id, a.region_code, a.before, a.after, "
          "a.request_id)::text, 'UTF8'))")
GENESIS = "'\\x" + "00" * 32 + "'::bytea"
CHAIN_COLUMNS = "'chain_seq', 'row_hash', 'chain_hash'"


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("txid", sa.BigInteger(), nullable=True,
                                         server_default=sa.text("(pg_current_xact_id()::text::bigint)")))
    op.add_column("audit_log", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", postgresql.BYTEA(), nullable=True))
    op.add_column("audit_log", sa.Column("chain_hash", postgresql.BYTEA(), nullable=True))
    op.create_unique_constraint(op.f("uq_audit_log_chain_seq"), "audit_log", ["chain_seq"])
    op.create_index(op.f("ix_audit_log_txid"), "audit_log", ["txid"])
    op.execute("CREATE SEQUENCE audit_chain_seq")
    op.execute(f"""
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- (十五) the one update allowed: the commit trigger sealing a row into the chain.
            IF TG_OP = 'UPDATE' AND OLD.chain_hash IS NULL AND NEW.chain_hash IS NOT NULL
               AND to_jsonb(NEW) - ARRAY[{CHAIN_COLUMNS}] = to_jsonb(OLD) - ARRAY[{CHAIN_COLUMNS}] THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
    """.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute(f"""
        CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            tx text := pg_current_xact_id()::text;
            prev bytea;
            r record;
        BEGIN
            -- Deferred: runs at commit; the first call of the transaction seals all its rows.
            IF current_setting('xiaokang.audit_chained', true) = tx THEN
                RETURN NULL;
            END IF;
            PERFORM pg_advisory_xact_lock({LOCK_KEY});
            SELECT chain_hash INTO prev FROM audit_log
             WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
            prev := coalesce(prev, {GENESIS});
            FOR r IN SELECT a.id, {DIGEST} AS digest FROM audit_log a
                      WHERE a.txid = tx::bigint AND a.chain_seq IS NULL ORDER BY a.id LOOP
                prev := sha256(prev || r.digest);
                UPDATE audit_log SET chain_seq = nextval('audit_chain_seq'), row_hash = r.digest,
                                     chain_hash = prev
                 WHERE id = r.id;
            END LOOP;
            PERFORM set_config('xiaokang.audit_chained', tx, true);
            RETURN NULL;
        END $$;
    """)
    op.execute("CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_log_chain()")
    # Rows written before the chain existed are sealed now, in id order.
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
    op.execute(f"""
        DO $$
        DECLARE prev bytea := {GENESIS}; r record;
        BEGIN
            FOR r IN SELECT a.id, {DIGEST} AS digest FROM audit_log a ORDER BY a.id LOOP
                prev := sha256(prev || r.digest);
                UPDATE audit_log SET chain_seq = nextval('audit_chain_seq'), row_hash = r.digest,
                                     chain_hash = prev WHERE id = r.id;
            END LOOP;
        END $$;
    """)
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.drop_index(op.f("ix_audit_log_txid"), table_name="audit_log")
    op.drop_constraint(op.f("uq_audit_log_chain_seq"), "audit_log", type_="unique")
    op.execute("DROP SEQUENCE IF EXISTS audit_chain_seq")
    for column in ("chain_hash", "row_hash", "chain_seq", "txid"):
        op.drop_column("audit_log", column)
