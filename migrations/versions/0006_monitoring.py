"""monitoring: per-replica figures, the latest system snapshot, key last-use index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    """Revert."""
    op.execute("DROP INDEX api_keys_last_used")
    op.execute("DROP TABLE monitoring_snapshot, monitoring_replicas")


# The latest snapshot is stored as the exact metrics_update message the leader sent (NOTIFY carries
# it too when it fits in 8000 bytes), so a replica that starts or reconnects serves it at once.
_SCHEMA = """
        CREATE TABLE monitoring_replicas (
            replica text PRIMARY KEY CHECK (length(replica) <= 100),
            figures jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE monitoring_snapshot (
            id smallint PRIMARY KEY CHECK (id = 1),
            message text NOT NULL,
            collected_at timestamptz NOT NULL
        );
        CREATE INDEX api_keys_last_used ON api_keys (last_used_at) WHERE last_used_at IS NOT NULL
"""
