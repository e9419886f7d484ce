"""rules reload requests: any replica records one, the evaluator (wherever it runs) re-reads its files

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE alert_rules_reload (
            id boolean PRIMARY KEY DEFAULT true CHECK (id),
            requested_at timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE alert_rules_reload")
