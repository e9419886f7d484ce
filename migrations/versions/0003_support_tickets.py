"""support tickets: tickets, their messages and their audit trail of events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            op.execute(statement)


_SCHEMA = """
        CREATE TABLE support_tickets (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            partner_id bigint NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
            title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
            description text NOT NULL CHECK (length(description) BETWEEN 1 AND 20000),
            attachments jsonb NOT NULL DEFAULT '[]',
            category text NOT NULL CHECK (
                category IN ('api', 'billing', 'technical', 'energy', 'withdrawal', 'account', 'other')
            ),
            category_source text NOT NULL CHECK (category_source IN ('auto', 'manual')),
            priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
            priority_source text NOT NULL CHECK (priority_source IN ('auto', 'manual')),
            requested_priority text CHECK (requested_priority IN ('low', 'medium', 'high', 'critical')),
            status text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in_progress', 'pending', 'resolved', 'closed')),
            assigned_to bigint REFERENCES admins(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            last_activity_at timestamptz NOT NULL,
            resolved_at timestamptz,
            closed_at timestamptz,
            first_response_due_at timestamptz NOT NULL,
            resolution_due_at timestamptz NOT NULL,
            first_responded_at timestamptz,
            first_response_breached_at timestamptz,
            resolution_breached_at timestamptz,
            sla_paused_at timestamptz,
            sla_paused_seconds double precision NOT NULL DEFAULT 0 CHECK (sla_paused_seconds >= 0),
            awaiting_reply_since timestamptz
        );
        CREATE INDEX support_tickets_partner_activity
            ON support_tickets (partner_id, last_activity_at DESC, id DESC);
        CREATE INDEX support_tickets_activity ON support_tickets (last_activity_at DESC, id DESC);
        CREATE INDEX support_tickets_active ON support_tickets (priority)
            WHERE status IN ('open', 'in_progress', 'pending');
        CREATE INDEX support_tickets_resolved ON support_tickets (resolved_at) WHERE status = 'resolved';
        CREATE TABLE ticket_messages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ticket_id bigint NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
            sender_type text NOT NULL CHECK (sender_type IN ('partner', 'admin', 'system')),
            sender_id bigint,
            message text NOT NULL CHECK (length(message) BETWEEN 1 AND 20000),
            attachments jsonb NOT NULL DEFAULT '[]',
            internal boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            CHECK (NOT internal OR sender_type = 'admin')
        );
        CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
        CREATE TABLE ticket_events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ticket_id bigint NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
            actor_type text NOT NULL CHECK (actor_type IN ('partner', 'admin', 'system')),
            actor_id bigint,
            field text NOT NULL
                CHECK (field IN ('created', 'status', 'priority', 'category', 'assigned_to', 'sla')),
            from_value text,
            to_value text,
            detail jsonb,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
"""


def downgrade() -> None:
    """Revert."""
    op.execute("DROP TABLE ticket_events, ticket_messages, support_tickets")
