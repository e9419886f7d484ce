"""foundation: partners, admins, api keys, idempotency records

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
        CREATE TABLE partners (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
            contact_email text,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE admins (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE api_keys (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            prefix text NOT NULL UNIQUE,
            key_hash bytea NOT NULL UNIQUE,
            role text NOT NULL CHECK (role IN ('partner', 'admin')),
            partner_id bigint REFERENCES partners(id) ON DELETE CASCADE,
            admin_id bigint REFERENCES admins(id) ON DELETE CASCADE,
            label text,
            created_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz,
            revoked_at timestamptz,
            CHECK ((role = 'partner') = (partner_id IS NOT NULL)),
            CHECK ((role = 'admin') = (admin_id IS NOT NULL))
        );
        CREATE INDEX api_keys_partner ON api_keys (partner_id);
        CREATE TABLE idempotency_records (
            scope text NOT NULL,
            key text NOT NULL,
            request_hash bytea NOT NULL,
            state text NOT NULL CHECK (state IN ('in_flight', 'done')),
            response_status int,
            response_body bytea,
            response_content_type text,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX idempotency_records_created ON idempotency_records (created_at);
"""


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE idempotency_records, api_keys, admins, partners")
