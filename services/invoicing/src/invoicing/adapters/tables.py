"""Invoicing's own tables (the messaging kit's outbox and inbox and the members replica are the runtime's)."""

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    any_,
    bindparam,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from invoicing.domain.invoices import InvoiceStatus

METADATA = MetaData()


def among(column: Column, values: Iterable[str]) -> ColumnElement[bool]:
    """`column` is one of `values`: one array parameter however many (an IN list binds one each)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(Text)))


USAGE_AGGREGATES = Table(
    "usage_aggregates",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("project_id", Text, primary_key=True),
    Column("meter", Text, primary_key=True),
    Column("period_start", DateTime(timezone=True), primary_key=True),
    Column("quantity", Numeric, nullable=False),
    Column("event_count", BigInteger, nullable=False, server_default="0"),
    Column("max_quantity", Numeric, nullable=False, server_default="0"),
    Column("late_unbilled", Boolean, nullable=False, server_default="false"),
    # late_unbilled: usage arrived after the account's invoice for the period; the next invoice bills it.
    # traceparent: the trace of the latest usage counted here (W3C); the invoice billing it links to it.
    Column("traceparent", Text),
    # Closing a period looks its usage up by period first.
    Index("usage_aggregates_by_period", "period_start", "billing_account_id"),
)

USAGE_INCREMENTS = Table(
    "usage_increments",
    METADATA,
    # What batches of usage added, not yet folded into usage_aggregates (usage_ledger.fold_usage):
    # appended by COPY, so no key and no index; emptied by every fold.
    Column("billing_account_id", Text, nullable=False),
    Column("project_id", Text, nullable=False),
    Column("meter", Text, nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("event_count", BigInteger, nullable=False),
    Column("max_quantity", Numeric, nullable=False),
    Column("traceparent", Text),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # (vacuumed by count of dead rows, not by share: see the migration invoicing_0007)
)

VIEWS = MetaData()
"""Views (made by the migrations, read through these descriptions, never created from them)."""

USAGE_TOTALS = Table(
    "usage_totals",
    VIEWS,
    # What was counted: usage_aggregates plus usage_increments not folded yet, one row per
    # aggregate, increments of an invoiced period flagged late as the fold will flag them.
    Column("billing_account_id", Text, primary_key=True),
    Column("project_id", Text, primary_key=True),
    Column("meter", Text, primary_key=True),
    Column("period_start", DateTime(timezone=True), primary_key=True),
    Column("quantity", Numeric),
    Column("event_count", BigInteger),
    Column("max_quantity", Numeric),
    Column("late_unbilled", Boolean),
    Column("traceparent", Text),
)

USAGE_UNIQUE_VALUES = Table(
    "usage_unique_values",
    METADATA,
    Column("billing_account_id", Text, nullable=False),
    Column("project_id", Text, nullable=False),
    Column("meter", Text, nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("billing_account_id", "project_id", "meter", "period_start", "value"),
)
"""The distinct property values of unique-count meters, per aggregate."""

ACCOUNT_REPLICA = Table(
    "account_replica",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("currency", Text, nullable=False),
    Column("billed_to", JSONB),
    # billed_to: the account's billing details (BilledTo.to_json), copied onto every invoice issued.
    Column("version", Integer, nullable=False),
)

PROJECT_LINKS = Table(
    "project_links",
    METADATA,
    Column("project_id", Text, primary_key=True),
    Column("linked_from", DateTime(timezone=True), primary_key=True),
    Column("billing_account_id", Text, nullable=False),
)
"""Replica of accounts' project links: from linked_from on (until the next link), the account pays."""

INVOICE_SETTINGS = Table(
    "invoice_settings",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("per_project", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

METERS = Table(
    "meters",
    METADATA,
    Column("code", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("aggregation", Text, nullable=False),
    Column("unique_property", Text),
)

PRICES = Table(
    "prices",
    METADATA,
    Column("meter", Text, ForeignKey("meters.code"), primary_key=True),
    Column("currency", Text, primary_key=True),
    Column("effective_from", DateTime(timezone=True), primary_key=True),
    Column("model", Text, nullable=False),
    Column("unit_price", Numeric),
    Column("tiers", JSONB),
    # tiers: [{"up_to": "100" | null, "unit_price": "0.1", "flat_fee": "0"}], decimals as strings.
    Column("package_size", Numeric),
    Column("package_price", Numeric),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

STATUSES = ", ".join(f"'{status.value}'" for status in InvoiceStatus)

INVOICES = Table(
    "invoices",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("billing_account_id", Text, nullable=False),
    Column("project_id", Text),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("finalized_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    Column("billed_to", JSONB),
    UniqueConstraint("billing_account_id", "period_start", "project_id", name="invoices_one_per_account_period_project",
                     postgresql_nulls_not_distinct=True),
    CheckConstraint(f"status IN ({STATUSES})", name="invoices_status_known"),
    CheckConstraint("amount_due >= 0", name="invoices_amount_due_not_negative"),
)

INVOICE_LINES = Table(
    "invoice_lines",
    METADATA,
    Column("invoice_id", Text, nullable=False),
    Column("project_id", Text, nullable=False),
    Column("meter", Text, nullable=False),
    Column("usage_period_start", DateTime(timezone=True), nullable=False),
    Column("quantity", Numeric, nullable=False),
    Column("unit_price", Numeric),
    Column("price_model", Text, nullable=False, server_default="per_unit"),
    Column("price_terms", Text, nullable=False, server_default=""),
    Column("amount", BigInteger, nullable=False),
    Column("event_count", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("invoice_id", "project_id", "meter", "usage_period_start", name="invoice_lines_pkey"),
    ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name="invoice_lines_invoice_id_fkey"),
    # What was billed of a period's usage, across invoices (late usage, reconciliation).
    Index("invoice_lines_by_usage", "project_id", "meter", "usage_period_start"),
)

INVOICE_NUMBERS = Sequence("invoice_numbers", metadata=METADATA)
"""The running part of invoice numbers (INV-2026-11-000042); gaps are possible, repeats are not."""
