"""job_runs (what staff see of background jobs) and, on PostgreSQL, procrastinate's schema

procrastinate's schema is applied here rather than by its own `procrastinate schema --apply`, so
`python -m api.cli migrate` is the one step a deployment runs and `/readyz` ("migrations at head")
covers the job engine's tables too. The SQL is the schema file shipped with the pinned procrastinate
release (pyproject.toml / uv.lock); a later procrastinate upgrade gets its own migration that runs
that release's files from procrastinate/sql/migrations.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import await_only


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

DROP_PROCRASTINATE = r"""
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT oid::regprocedure AS sig FROM pg_proc WHERE proname LIKE 'procrastinate\_%' LOOP
        EXECUTE 'DROP FUNCTION ' || r.sig || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status CASCADE;
"""


def _run_script(sql: str) -> None:
    # A multi-statement script with dollar-quoted function bodies: asyncpg's simple-query protocol
    # runs it as is (SQLAlchemy would prepare it, which takes one statement only). Same transaction.
    bind = op.get_bind()
    bind.exec_driver_sql("SELECT 1")  # make sure the migration's transaction has begun on this connection
    await_only(bind.connection.driver_connection.execute(sql))


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('engine_job_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    op.create_index('ix_job_runs_job_status', 'job_runs', ['job', 'status'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run_script(DROP_PROCRASTINATE)
    op.drop_index('ix_job_runs_job_status', table_name='job_runs')
    op.drop_table('job_runs')
