"""maintenance windows and alert acknowledgements

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE alert_maintenance (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            matchers jsonb NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            end_when_resolved boolean NOT NULL DEFAULT false,
            affects_withdrawals boolean NOT NULL DEFAULT false,
            comment text NOT NULL DEFAULT '',
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            -- set by the evaluator once a matching alert fired inside the window (end_when_resolved)
            saw_firing_at timestamptz,
            ended_at timestamptz,
            end_reason text CHECK (end_reason IN ('deleted', 'resolved')),
            CHECK (ends_at > starts_at)
        )
        """
    )
    op.execute("CREATE INDEX alert_maintenance_ends ON alert_maintenance (ends_at)")
    op.execute(
        """
        CREATE TABLE alert_acks (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            fingerprint text NOT NULL,
            alertname text NOT NULL,
            episode bigint NOT NULL,
            acked_by text NOT NULL,
            comment text NOT NULL DEFAULT '',
            acked_at timestamptz NOT NULL,
            unacked_by text,
            unacked_at timestamptz
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX alert_acks_current ON alert_acks (fingerprint, episode) WHERE unacked_at IS NULL"
    )
    op.execute("CREATE INDEX alert_acks_acked_at ON alert_acks (acked_at)")


def downgrade() -> None:
    op.execute("DROP TABLE alert_acks, alert_maintenance")
