"""energy pools: pools, their latest scraped state, chain state and snapshot history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
        CREATE TABLE energy_pools (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
            wallet_address text NOT NULL UNIQUE CHECK (length(wallet_address) = 34),
            target_trx numeric(20, 6) NOT NULL DEFAULT 0 CHECK (target_trx >= 0),
            enabled boolean NOT NULL DEFAULT true,
            source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'config')),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE energy_pool_state (
            pool_id bigint PRIMARY KEY REFERENCES energy_pools(id) ON DELETE CASCADE,
            up boolean NOT NULL,
            last_error text,
            last_scraped_at timestamptz,
            chain_time timestamptz,
            energy_limit bigint NOT NULL,
            energy_used bigint NOT NULL,
            window_slots integer NOT NULL,
            frozen_sun bigint NOT NULL,
            balance_sun bigint NOT NULL,
            net_available bigint NOT NULL DEFAULT 0,
            daily_consumption bigint,
            runway_seconds double precision,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE energy_chain_state (
            id integer PRIMARY KEY CHECK (id = 1),
            energy_fee_sun bigint NOT NULL,
            transaction_fee_sun bigint NOT NULL,
            quote jsonb,
            refreshed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE energy_pool_snapshots (
            pool_id bigint NOT NULL REFERENCES energy_pools(id) ON DELETE CASCADE,
            taken_at timestamptz NOT NULL,
            chain_time timestamptz NOT NULL,
            energy_limit bigint NOT NULL,
            energy_used bigint NOT NULL,
            energy_available bigint NOT NULL,
            window_slots integer NOT NULL,
            frozen_sun bigint NOT NULL,
            balance_sun bigint NOT NULL,
            energy_fee_sun bigint,
            daily_consumption bigint,
            PRIMARY KEY (pool_id, taken_at)
        );
        CREATE INDEX energy_pool_snapshots_taken ON energy_pool_snapshots (taken_at);
"""


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE energy_pool_snapshots, energy_chain_state, energy_pool_state, energy_pools")
