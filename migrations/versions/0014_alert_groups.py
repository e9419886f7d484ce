"""alert groups: Alertmanager-style aggregation groups (members, timers, sequence), durable across restarts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE alert_groups (
            id text PRIMARY KEY,
            receiver text NOT NULL,
            group_key text NOT NULL,
            doc jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE alert_groups")
