"""imports: bulk import jobs and their row errors; the procrastinate job queue (its schema as
shipped with the installed procrastinate, applied here so migrations stay the only way the schema
is made)

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-28 16:08:00+00:00

Upgrading procrastinate to a version with schema changes needs a new migration that applies its
files under `procrastinate/sql/migrations/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.util import await_only

revision: str = '0006'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_script(sql: str) -> None:
    # The schema holds many statements and $$-quoted functions: send it as one simple query
    # through the driver (a prepared statement takes one statement, and text() would read
    # ':name' as a bind parameter).
    raw = op.get_bind().connection.dbapi_connection
    await_only(raw.driver_connection.execute(sql))


def upgrade() -> None:
    op.create_table('import_job',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('on_error', sa.String(length=5), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=5), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('principal', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_valid', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('written', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('error_code', sa.String(length=100), nullable=True),
    sa.Column('error_detail', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('households', 'members', 'assessments', 'villages', 'village_incomes', 'helpers', 'pairings')", name=op.f('ck_import_job_kind_known')),
    sa.CheckConstraint("state IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_import_job_state_known')),
    sa.CheckConstraint("on_error IN ('abort','skip')", name=op.f('ck_import_job_on_error_known')),
    sa.CheckConstraint("file_format IN ('csv','xlsx','jsonl')", name=op.f('ck_import_job_format_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    op.create_index('uq_import_job_file_once', 'import_job', ['file_hash', 'kind', 'region_code'], unique=True, postgresql_where=sa.text("NOT dry_run AND state <> 'failed'"))
    op.create_index('ix_import_job_region_created', 'import_job', ['region_code', 'created_at'], unique=False)
    op.create_table('import_error',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=50), nullable=True),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_error_job_id_import_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_error'))
    )
    op.create_index('ix_import_error_job_line', 'import_error', ['job_id', 'line', 'id'], unique=False)
    _run_script(resources.files("procrastinate.sql").joinpath("schema.sql").read_text())


def downgrade() -> None:
    _run_script("""
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
            procrastinate_workers CASCADE;
        DO $$ DECLARE f record; BEGIN
            FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
                EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
            END LOOP;
        END $$;
        DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type,
            procrastinate_job_to_defer_v1 CASCADE;
    """)
    op.drop_index('ix_import_error_job_line', table_name='import_error')
    op.drop_table('import_error')
    op.drop_index('ix_import_job_region_created', table_name='import_job')
    op.drop_index('uq_import_job_file_once', table_name='import_job', postgresql_where=sa.text("NOT dry_run AND state <> 'failed'"))
    op.drop_table('import_job')
