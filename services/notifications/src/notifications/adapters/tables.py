"""The notifications database: contact directory, email log, events waiting for a contact,
and the emails each account chose."""

from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, Table, Text, UniqueConstraint, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

METADATA = MetaData()

CONTACTS = Table(
    "contacts",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("billing_emails", JSONB, nullable=False),
    Column("members", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
)

EMAILS = Table(
    "emails",
    METADATA,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("billing_account_id", Text, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # An event tells each recipient once, however often it is delivered.
    UniqueConstraint("event_id", "recipient", "kind", name="emails_once_per_event_recipient_kind"),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="emails_status_known"),
    Index("emails_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("emails_by_account", "billing_account_id", "created_at"),
)

HELD_EVENTS = Table(
    "held_events",
    METADATA,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("billing_account_id", Text, nullable=False, index=True),
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("held_events_by_age", "received_at"),
)
"""Events about an account whose contact had not arrived yet; released by its first snapshot,
or dropped to a failed log entry once older than `held_event_max_age`."""

NOTIFICATION_PREFERENCES = Table(
    "notification_preferences",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("receipts", Boolean, nullable=False),
    Column("invoice_available", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
"""The optional emails an account turned on or off; no row: the service's defaults."""
