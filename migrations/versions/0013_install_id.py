"""install id: one random id per database, shared by every replica, that makes notification ids unique

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02
"""

from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tronwatch_install (
            id boolean PRIMARY KEY DEFAULT true CHECK (id),
            install_id text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    # 16 random hex digits: short enough for a label or a Message-ID, unique across installations.
    op.execute(
        "INSERT INTO tronwatch_install (install_id) "
        "VALUES (substr(replace(gen_random_uuid()::text, '-', ''), 1, 16))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE tronwatch_install")
