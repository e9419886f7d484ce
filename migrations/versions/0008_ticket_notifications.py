"""ticket notifications and lists: partner webhooks (URL + signing secret), each ticket's API JSON

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The Ticket model's fields (daemon/support/models.py), rendered once per write by a trigger so that a
# page of tickets is a string_agg of stored text. A change to the model needs a migration that replaces
# this function (tests/support compare the list's items with GET of each ticket).
_PLAIN = [
    "id",
    "partner_id",
    "title",
    "description",
    "attachments",
    "status",
    "priority",
    "priority_source",
    "requested_priority",
    "category",
    "category_source",
    "assigned_to",
]
_TIMES = [
    "created_at",
    "updated_at",
    "last_activity_at",
    "resolved_at",
    "closed_at",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "first_response_breached_at",
    "resolution_breached_at",
]
_FORMAT = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""
_JSON = (
    "json_build_object("
    + ", ".join(f"'{c}', NEW.{c}" for c in _PLAIN)
    + ", "
    + ", ".join(f"'{c}', to_char(NEW.{c} AT TIME ZONE 'UTC', {_FORMAT})" for c in _TIMES)
    + ", 'sla_paused', NEW.sla_paused_at IS NOT NULL, 'sla_paused_seconds', NEW.sla_paused_seconds)::text"
)


def upgrade() -> None:
    """Apply."""
    # The secret signs each delivery (HMAC), so it is kept as given, like the alerts receivers' secrets.
    op.execute("ALTER TABLE partners ADD COLUMN webhook_url text, ADD COLUMN webhook_secret text")
    op.execute("ALTER TABLE support_tickets ADD COLUMN api_json text")
    op.execute(
        "CREATE FUNCTION support_ticket_api_json() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.api_json := {_JSON}; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER support_ticket_api_json BEFORE INSERT OR UPDATE ON support_tickets "
        "FOR EACH ROW EXECUTE FUNCTION support_ticket_api_json()"
    )
    op.execute("UPDATE support_tickets SET title = title")  # existing tickets get theirs


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TRIGGER support_ticket_api_json ON support_tickets")
    op.execute("DROP FUNCTION support_ticket_api_json()")
    op.execute("ALTER TABLE support_tickets DROP COLUMN api_json")
    op.execute("ALTER TABLE partners DROP COLUMN webhook_url, DROP COLUMN webhook_secret")
