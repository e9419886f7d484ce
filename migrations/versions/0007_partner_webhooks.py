"""partner webhooks: where an admin's reply to a partner's ticket is announced, and the signing secret

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    # The secret signs each delivery (HMAC), so it is kept as given, like the alerts receivers' secrets.
    op.execute("ALTER TABLE partners ADD COLUMN webhook_url text, ADD COLUMN webhook_secret text")


def downgrade() -> None:
    """Revert."""
    op.execute("ALTER TABLE partners DROP COLUMN webhook_url, DROP COLUMN webhook_secret")
