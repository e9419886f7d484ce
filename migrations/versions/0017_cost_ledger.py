"""cost ledger: how each completed withdrawal's energy was paid and what it cost

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02
"""

from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE withdrawal_costs")


# A row is 'pending' from the completion until its receipt is solid, then 'recorded' with the split.
# energy_fee_sun and own_ratio are taken when the completion is seen: the price and the pool's own
# share of its limit at that moment. Sun and energy are integers.
_SCHEMA = """
        CREATE TABLE withdrawal_costs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('queue', 'emergency')),
            withdrawal_ref bigint NOT NULL,
            tx_hash text NOT NULL UNIQUE CHECK (tx_hash ~ '^[0-9a-f]{64}$'),
            pool_id bigint REFERENCES energy_pools(id) ON DELETE SET NULL,
            completed_at timestamptz NOT NULL,
            energy_fee_sun bigint NOT NULL CHECK (energy_fee_sun >= 0),
            own_ratio double precision NOT NULL CHECK (own_ratio BETWEEN 0 AND 1),
            user_fee_sun bigint NOT NULL DEFAULT 0,
            status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'recorded')),
            attempts integer NOT NULL DEFAULT 0,
            next_try_at timestamptz NOT NULL,
            last_error text,
            block_time timestamptz,
            energy_total bigint,
            energy_usage bigint,
            origin_energy_usage bigint,
            burned_sun bigint,
            staked_energy bigint,
            delegated_energy bigint,
            burned_energy bigint,
            cost_sun bigint,
            burn_all_sun bigint,
            recorded_at timestamptz,
            UNIQUE (kind, withdrawal_ref)
        );
        CREATE INDEX withdrawal_costs_pending ON withdrawal_costs (next_try_at) WHERE status = 'pending';
        CREATE INDEX withdrawal_costs_completed ON withdrawal_costs (completed_at) WHERE status = 'recorded';
        CREATE INDEX withdrawal_costs_newest ON withdrawal_costs (kind, completed_at)
"""
