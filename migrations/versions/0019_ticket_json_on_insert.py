"""tickets: a new ticket's API JSON comes with its INSERT; the trigger renders the rest, times as GET does

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

import importlib

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# 0008 is frozen: its field lists are the model this function renders.
_V0008 = importlib.import_module("migrations.versions.0008_ticket_notifications")
_WHOLE, _MICRO = """'YYYY-MM-DD"T"HH24:MI:SS"Z"'""", """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""


def _time(c: str) -> str:
    """A time as the API's JSON (pydantic) writes it: microseconds only when there are some."""
    utc = f"NEW.{c} AT TIME ZONE 'UTC'"
    whole = f"date_trunc('second', NEW.{c}) = NEW.{c}"
    return f"CASE WHEN {whole} THEN to_char({utc}, {_WHOLE}) ELSE to_char({utc}, {_MICRO}) END"


_JSON = (
    "json_build_object("
    + ", ".join(f"'{c}', NEW.{c}" for c in _V0008._PLAIN)
    + ", "
    + ", ".join(f"'{c}', {_time(c)}" for c in _V0008._TIMES)
    + ", 'sla_paused', NEW.sla_paused_at IS NOT NULL, 'sla_paused_seconds', NEW.sla_paused_seconds)::text"
)
# The plpgsql call was about a tenth of PostgreSQL's CPU per ticket create (docs/performance.md): the
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
    _render(_JSON)
    # Stored JSON with a whole-second time wrote it as .000000Z, where GET writes no fraction.
    op.execute("UPDATE support_tickets SET title = title WHERE api_json LIKE '%.000000Z%'")


def _render(expression: str) -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION support_ticket_api_json() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.api_json := {expression}; RETURN NEW; END $$"
    )


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TRIGGER support_ticket_api_json_insert ON support_tickets")
    op.execute("DROP TRIGGER support_ticket_api_json ON support_tickets")
    op.execute(
        "CREATE TRIGGER support_ticket_api_json BEFORE INSERT OR UPDATE ON support_tickets "
        "FOR EACH ROW EXECUTE FUNCTION support_ticket_api_json()"
    )
    _render(_V0008._JSON)
