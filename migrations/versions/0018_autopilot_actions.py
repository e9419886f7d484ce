"""autopilot actions: every energy action the autopilot plans or takes, durable from plan to confirmation

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE autopilot_actions (
            id bigserial PRIMARY KEY,
            source text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('delegate', 'undelegate', 'stake')),
            owner_address text NOT NULL,
            receiver_address text,
            pool_id bigint REFERENCES energy_pools(id) ON DELETE SET NULL,
            amount_sun bigint NOT NULL CHECK (amount_sun > 0),
            energy bigint NOT NULL,
            lock_blocks bigint NOT NULL DEFAULT 0,
            reason text NOT NULL,
            state text NOT NULL CHECK (state IN
                ('planned', 'approved', 'signing', 'broadcast', 'confirmed', 'failed', 'cancelled')),
            signer text NOT NULL,
            baseline_sun bigint,
            unsigned_tx jsonb,
            txid text,
            expires_at timestamptz,
            claimed_until timestamptz,
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz
        )
        """
    )
    op.execute(
        "CREATE INDEX autopilot_actions_open ON autopilot_actions (state) WHERE state IN "
        "('planned', 'approved', 'signing', 'broadcast')"
    )
    op.execute("CREATE INDEX autopilot_actions_created ON autopilot_actions (created_at)")
    # One open action per (kind, owner, receiver): a plan repeated each cycle updates it, never piles up.
    op.execute(
        "CREATE UNIQUE INDEX autopilot_actions_one_open ON autopilot_actions "
        "(kind, owner_address, coalesce(receiver_address, '')) "
        "WHERE state IN ('planned', 'approved', 'signing', 'broadcast')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE autopilot_actions")
