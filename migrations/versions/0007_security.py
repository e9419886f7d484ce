"""security: events (deduplicated per day, with a count), per-minute counts, rate-limit counters, IP blocks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


# rate_limit_counters is UNLOGGED: no WAL write on the request path; after a PostgreSQL crash the
# counters start again from zero, which costs at most one window of limiting.
_SCHEMA = """
        CREATE TABLE security_events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            type text NOT NULL,
            severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
            partner_id bigint REFERENCES partners(id) ON DELETE SET NULL,
            client_ip inet,
            method text NOT NULL DEFAULT '',
            route text NOT NULL DEFAULT '',
            details jsonb NOT NULL DEFAULT '{}',
            day date NOT NULL,
            dedup_hash bytea NOT NULL,
            count bigint NOT NULL DEFAULT 1,
            first_seen_at timestamptz NOT NULL,
            last_seen_at timestamptz NOT NULL,
            UNIQUE (day, dedup_hash)
        );
        CREATE INDEX security_events_type ON security_events (type, id DESC);
        CREATE INDEX security_events_last_seen ON security_events (last_seen_at);
        CREATE TABLE security_event_minutes (
            type text NOT NULL,
            severity text NOT NULL,
            minute timestamptz NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (minute, type, severity)
        );
        CREATE UNLOGGED TABLE rate_limit_counters (
            bucket text NOT NULL,
            window_start bigint NOT NULL,
            count integer NOT NULL,
            PRIMARY KEY (bucket, window_start)
        ) WITH (fillfactor = 70);
        CREATE TABLE security_blocks (
            client_ip inet PRIMARY KEY,
            until timestamptz NOT NULL,
            reason text NOT NULL,
            created_at timestamptz NOT NULL
        )
"""


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE security_blocks, rate_limit_counters, security_event_minutes, security_events")
