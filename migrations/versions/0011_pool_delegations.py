"""pool delegations: the leader's latest delegated-in/out energy per pool, so every replica can serve it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE energy_pool_delegations (
            pool_id bigint PRIMARY KEY REFERENCES energy_pools(id) ON DELETE CASCADE,
            acquired_energy bigint NOT NULL,
            delegated_out_energy bigint NOT NULL,
            reclaimed_energy_1h bigint NOT NULL,
            records jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE energy_pool_delegations")
