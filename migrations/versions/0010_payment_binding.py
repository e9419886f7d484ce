"""payment binding: a unique amount per open quote, recorded payments, the payment scan cursor

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE payment_scan_cursor")
    op.execute("DROP TABLE emergency_payments")
    op.execute("DROP INDEX emergency_withdrawals_tag")
    op.execute("DROP INDEX emergency_withdrawals_payer")
    op.execute("DROP INDEX emergency_withdrawals_pay_amount")
    op.execute(
        "ALTER TABLE emergency_withdrawals DROP COLUMN pay_amount_sun, DROP COLUMN payer_address, "
        "DROP COLUMN amount_held"
    )


# Quotes issued before this revision keep pay_amount_sun NULL and amount_held false: they are paid
# by hash as before (at least the fee) and never matched by the scan.
# amount_held: the amount still identifies this quote (open, or expired/paid within the hold time),
# so PostgreSQL refuses the same amount to another quote to the same pay_to, across replicas.
_SCHEMA = """
        ALTER TABLE emergency_withdrawals
            ADD COLUMN pay_amount_sun bigint CHECK (pay_amount_sun > 0),
            ADD COLUMN payer_address text CHECK (length(payer_address) = 34),
            ADD COLUMN amount_held boolean NOT NULL DEFAULT false;
        CREATE UNIQUE INDEX emergency_withdrawals_pay_amount ON emergency_withdrawals (pay_to, pay_amount_sun)
            WHERE amount_held;
        CREATE INDEX emergency_withdrawals_payer ON emergency_withdrawals (pay_to, payer_address)
            WHERE amount_held AND payer_address IS NOT NULL;
        CREATE INDEX emergency_withdrawals_tag ON emergency_withdrawals (pay_to, (pay_amount_sun % 10000))
            WHERE amount_held;
        CREATE TABLE emergency_payments (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tx_hash text NOT NULL UNIQUE CHECK (tx_hash ~ '^[0-9a-f]{64}$'),
            pay_to text NOT NULL,
            payer text NOT NULL,
            amount_sun bigint NOT NULL CHECK (amount_sun > 0),
            block_number bigint NOT NULL,
            emergency_id bigint REFERENCES emergency_withdrawals(id) ON DELETE SET NULL,
            status text NOT NULL CHECK (status IN (
                'settled', 'underpaid', 'overpaid', 'wrong_payer', 'late', 'duplicate', 'unmatched'
            )),
            detail text NOT NULL,
            source text NOT NULL CHECK (source IN ('scan', 'hash')),
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX emergency_payments_status ON emergency_payments (status, id);
        CREATE INDEX emergency_payments_emergency ON emergency_payments (emergency_id)
            WHERE emergency_id IS NOT NULL;
        CREATE TABLE payment_scan_cursor (
            pay_to text PRIMARY KEY,
            block_number bigint NOT NULL,
            updated_at timestamptz NOT NULL
        )
"""
