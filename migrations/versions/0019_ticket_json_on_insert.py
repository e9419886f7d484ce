"""tickets: a new ticket's API JSON comes with its INSERT; the trigger renders it only when it does not

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The plpgsql call was about a sixth of PostgreSQL's CPU per ticket create (docs/performance.md): the
# daemon now sends the JSON it renders from the Ticket model, and the trigger stays for every update and
# for any INSERT without it. The WHEN test costs no function call.
_ON_INSERT = (
    "CREATE TRIGGER support_ticket_api_json_insert BEFORE INSERT ON support_tickets FOR EACH ROW "
    "WHEN (NEW.api_json IS NULL) EXECUTE FUNCTION support_ticket_api_json()"
)


def upgrade() -> None:
    """Apply."""
    op.execute("DROP TRIGGER support_ticket_api_json ON support_tickets")
    op.execute(
        "CREATE TRIGGER support_ticket_api_json BEFORE UPDATE ON support_tickets "
        "FOR EACH ROW EXECUTE FUNCTION support_ticket_api_json()"
    )
    op.execute(_ON_INSERT)


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TRIGGER support_ticket_api_json_insert ON support_tickets")
    op.execute("DROP TRIGGER support_ticket_api_json ON support_tickets")
    op.execute(
        "CREATE TRIGGER support_ticket_api_json BEFORE INSERT OR UPDATE ON support_tickets "
        "FOR EACH ROW EXECUTE FUNCTION support_ticket_api_json()"
    )
