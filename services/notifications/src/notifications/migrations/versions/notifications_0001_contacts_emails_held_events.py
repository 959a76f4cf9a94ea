"""Contact directory, email log and held events.

Revision ID: notifications_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "notifications_0001"
down_revision = None
branch_labels = ("notifications",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("billing_emails", JSONB, nullable=False),
        sa.Column("members", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "emails",
        sa.Column("id", UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("event_id", "recipient", "kind", name="emails_once_per_event_recipient_kind"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="emails_status_known"),
    )
    op.create_index("emails_due", "emails", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'"))
    op.create_index("emails_by_account", "emails", ["billing_account_id", "created_at"])
    op.create_table(
        "held_events",
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_held_events_billing_account_id", "held_events", ["billing_account_id"])


def downgrade() -> None:
    op.drop_table("held_events")
    op.drop_table("emails")
    op.drop_table("contacts")
