"""Invoicing's own tables (the messaging kit's outbox and inbox and the members replica are the runtime's)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
)

from invoicing.domain.invoices import InvoiceStatus

METADATA = MetaData()

USAGE_AGGREGATES = Table(
    "usage_aggregates",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("project_id", Text, primary_key=True),
    Column("meter", Text, primary_key=True),
    Column("period_start", DateTime(timezone=True), primary_key=True),
    Column("quantity", Numeric, nullable=False),
    # Closing a period looks its usage up by period first.
    Index("usage_aggregates_by_period", "period_start", "billing_account_id"),
)

ACCOUNT_REPLICA = Table(
    "account_replica",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("currency", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

STATUSES = ", ".join(f"'{status.value}'" for status in InvoiceStatus)

INVOICES = Table(
    "invoices",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("billing_account_id", Text, nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("finalized_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    UniqueConstraint("billing_account_id", "period_start", name="invoices_one_per_account_and_period"),
    CheckConstraint(f"status IN ({STATUSES})", name="invoices_status_known"),
    CheckConstraint("amount_due >= 0", name="invoices_amount_due_not_negative"),
)

INVOICE_LINES = Table(
    "invoice_lines",
    METADATA,
    Column("invoice_id", Text, ForeignKey("invoices.id"), primary_key=True),
    Column("project_id", Text, primary_key=True),
    Column("meter", Text, primary_key=True),
    Column("quantity", Numeric, nullable=False),
    Column("unit_price", Numeric, nullable=False),
    Column("amount", BigInteger, nullable=False),
)

INVOICE_NUMBERS = Sequence("invoice_numbers", metadata=METADATA)
"""The running part of invoice numbers (INV-2026-11-000042); gaps are possible, repeats are not."""
