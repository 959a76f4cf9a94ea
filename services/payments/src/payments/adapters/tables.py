"""The payments database: Stripe customers, cards on file, contacts, charges and Stripe's webhooks."""

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, Table, Text, text,
)

METADATA = MetaData()

STRIPE_CUSTOMERS = Table(
    "stripe_customers",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("stripe_customer_id", Text, nullable=False, unique=True),
)

PAYMENT_METHODS = Table(
    "payment_methods",
    METADATA,
    Column("id", Text, primary_key=True, comment="Stripe's payment method id (pm_...)"),
    Column("billing_account_id", Text, nullable=False, index=True),
    Column("brand", Text, nullable=False),
    Column("last4", Text, nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("is_primary", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("payment_methods_one_primary", "billing_account_id", unique=True, postgresql_where=text("is_primary")),
)

PAYMENT_METHOD_VERSIONS = Table(
    "payment_method_versions",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("version", Integer, nullable=False, comment="of the last payment_methods.changed snapshot"),
)

ACCOUNT_CONTACTS = Table(
    "account_contacts",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("email", Text, comment="for the Stripe customer, from billing_account.changed"),
)

CHARGES = Table(
    "charges",
    METADATA,
    Column("invoice_id", Text, primary_key=True),
    Column("invoice_number", Text, nullable=False),
    Column("billing_account_id", Text, nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("attempt", Integer, nullable=False, server_default=text("0")),
    Column("idempotency_key", Text, unique=True, comment="stored before Stripe is called"),
    Column("payment_method_id", Text, comment="the card the attempt charges"),
    Column("payment_intent_id", Text),
    Column("failure_kind", Text),
    Column("decline_code", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), comment="when the worker next charges a due charge"),
    Column("first_failed_at", DateTime(timezone=True), comment="the retry schedule counts from here"),
    Column("by_hand", Boolean, nullable=False, server_default=text("false"), comment="the latest attempt was the customer's"),
    Column("traceparent", Text, comment="the trace the charge was opened in (W3C); its attempts continue it"),
    CheckConstraint(
        "status IN ('due', 'in_flight', 'succeeded', 'failed', 'voided', 'paid_elsewhere')", name="charges_status"
    ),
    Index("charges_to_collect", "updated_at", postgresql_where=text("status IN ('due', 'in_flight')")),
    Index("charges_due", "next_attempt_at", postgresql_where=text("status = 'due'")),
    Index("charges_payment_intent", "payment_intent_id"),
)

STRIPE_WEBHOOK_EVENTS = Table(
    "stripe_webhook_events",
    METADATA,
    Column("event_id", Text, primary_key=True, comment="Stripe's event id (evt_...): each is applied once"),
    Column("event_type", Text, nullable=False),
    Column("payment_intent_id", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
