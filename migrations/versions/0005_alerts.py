"""alerts: rule instance state, the notification outbox (also the history) and silences

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
        CREATE TABLE alert_instances (
            fingerprint text PRIMARY KEY,
            rule text NOT NULL,
            labels jsonb NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'firing', 'inactive')),
            active_at double precision,
            fired_at double precision,
            resolved_at double precision,
            keep_since double precision,
            last_sent_at double precision,
            seq integer NOT NULL DEFAULT 0,
            value double precision,
            annotations jsonb NOT NULL DEFAULT '{}',
            muted text,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE alert_outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            notification_id text NOT NULL,
            receiver text NOT NULL,
            alertname text NOT NULL,
            fingerprint text NOT NULL,
            status text NOT NULL CHECK (status IN ('firing', 'resolved')),
            payload jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            due_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'sent', 'failed')),
            last_error text,
            http_status integer,
            sent_at timestamptz,
            UNIQUE (receiver, notification_id)
        );
        CREATE INDEX alert_outbox_due ON alert_outbox (due_at, id) WHERE outcome = 'pending';
        CREATE INDEX alert_outbox_history ON alert_outbox (created_at DESC, id DESC);
        CREATE TABLE alert_silences (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            matchers jsonb NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            created_by text NOT NULL,
            comment text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL,
            CHECK (ends_at > starts_at)
        );
        CREATE INDEX alert_silences_active ON alert_silences (ends_at)
"""


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE alert_silences, alert_outbox, alert_instances")
