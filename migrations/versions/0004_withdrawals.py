"""withdrawals: the energy withdrawal queue and emergency withdrawals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE emergency_withdrawals")
    op.execute("DROP TABLE energy_withdrawal_queue")


# queue_position / estimated_wait_time are the seed's columns: what the user was told at enqueue
# (an audit record). The API derives live positions from FIFO order (id) at read time.
_SCHEMA = """
        CREATE TABLE energy_withdrawal_queue (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            partner_id bigint NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
            user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
            withdrawal_id text NOT NULL CHECK (length(withdrawal_id) BETWEEN 1 AND 128),
            to_address text NOT NULL CHECK (length(to_address) = 34),
            amount numeric(38, 6) NOT NULL CHECK (amount > 0),
            currency text NOT NULL CHECK (currency = 'USDT'),
            required_energy bigint NOT NULL CHECK (required_energy > 0),
            status text NOT NULL DEFAULT 'waiting'
                CHECK (status IN ('waiting', 'released', 'processing', 'completed', 'cancelled')),
            queue_position integer,
            estimated_wait_time integer,
            pool_id bigint REFERENCES energy_pools(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL,
            released_at timestamptz,
            claimed_at timestamptz,
            claim_count integer NOT NULL DEFAULT 0,
            processed_at timestamptz,
            tx_hash text CHECK (tx_hash ~ '^[0-9a-f]{64}$'),
            UNIQUE (partner_id, withdrawal_id)
        );
        CREATE INDEX withdrawal_queue_waiting ON energy_withdrawal_queue (id)
            INCLUDE (required_energy) WHERE status = 'waiting';
        CREATE INDEX withdrawal_queue_user ON energy_withdrawal_queue (partner_id, user_id, id)
            WHERE status = 'waiting';
        CREATE INDEX withdrawal_queue_inflight ON energy_withdrawal_queue (pool_id)
            WHERE status IN ('released', 'processing');
        CREATE INDEX withdrawal_queue_claimable ON energy_withdrawal_queue (partner_id, id)
            WHERE status = 'released';
        CREATE INDEX withdrawal_queue_processed ON energy_withdrawal_queue (processed_at)
            WHERE status = 'completed';
        CREATE TABLE emergency_withdrawals (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            partner_id bigint NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
            user_id text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 128),
            withdrawal_id text NOT NULL CHECK (length(withdrawal_id) BETWEEN 1 AND 128),
            to_address text NOT NULL CHECK (length(to_address) = 34),
            amount numeric(38, 6) NOT NULL CHECK (amount > 0),
            currency text NOT NULL CHECK (currency = 'USDT'),
            energy_estimate bigint NOT NULL,
            energy_fee_sun bigint NOT NULL,
            bandwidth_bytes bigint NOT NULL,
            bandwidth_sun bigint NOT NULL,
            fee_sun bigint NOT NULL CHECK (fee_sun > 0),
            trx_fee_amount numeric(20, 6) NOT NULL,
            pay_to text NOT NULL,
            quote_block bigint NOT NULL,
            quote_expires_at timestamptz NOT NULL,
            status text NOT NULL DEFAULT 'pending_trx_payment' CHECK (status IN (
                'pending_trx_payment', 'verifying', 'paid', 'processing', 'completed', 'expired'
            )),
            trx_tx_hash text UNIQUE CHECK (trx_tx_hash ~ '^[0-9a-f]{64}$'),
            payment_submitted_at timestamptz,
            payment_error text,
            payer text,
            paid_at timestamptz,
            claimed_at timestamptz,
            claim_count integer NOT NULL DEFAULT 0,
            tx_hash text CHECK (tx_hash ~ '^[0-9a-f]{64}$'),
            created_at timestamptz NOT NULL,
            completed_at timestamptz
        );
        CREATE UNIQUE INDEX emergency_withdrawals_live ON emergency_withdrawals (partner_id, withdrawal_id)
            WHERE status <> 'expired';
        CREATE INDEX emergency_withdrawals_open ON emergency_withdrawals (status, id)
            WHERE status IN ('pending_trx_payment', 'verifying', 'paid', 'processing')
"""
