"""The accounts database: billing accounts, their members, billing details and projects (all
owned here; other services keep a replica of the members, built from `billing_account.changed`),
and replicas of what payments and invoicing publish, from which the standing is decided."""

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Identity, Index, Integer, MetaData, Table, Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

METADATA = MetaData()

BILLING_ACCOUNTS = Table(
    "billing_accounts",
    METADATA,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="active"),
    Column("billing_email", Text, nullable=False),
    # Incremented by every change; it is the `version` of the account's snapshot.
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deletion_requested_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="billing_accounts_currency_iso"),
    CheckConstraint("status IN ('active', 'deletion_requested', 'closed')", name="billing_accounts_status"),
    CheckConstraint("version >= 1", name="billing_accounts_version_positive"),
)

ACCOUNT_MEMBERS = Table(
    "account_members",
    METADATA,
    Column("billing_account_id", Text, ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("email", Text, primary_key=True),
    Column("user_id", Text, nullable=True),
    Column("role", Text, nullable=False),
    CheckConstraint("email = lower(email)", name="account_members_email_lower"),
    CheckConstraint("role IN ('owner', 'admin', 'viewer')", name="account_members_role"),
    Index("account_members_by_email", "email"),
)

BILLING_DETAILS = Table(
    "billing_details",
    METADATA,
    Column("billing_account_id", Text, ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("legal_name", Text, nullable=False),
    Column("billing_emails", ARRAY(Text), nullable=False),
    Column("line1", Text, nullable=False),
    Column("line2", Text, nullable=True),
    Column("city", Text, nullable=False),
    Column("postal_code", Text, nullable=False),
    Column("region", Text, nullable=True),
    Column("country", Text, nullable=False),
    Column("tax_id", Text, nullable=True),
    CheckConstraint("country ~ '^[A-Z]{2}$'", name="billing_details_country_alpha2"),
    CheckConstraint("cardinality(billing_emails) >= 1", name="billing_details_has_email"),
)

PROJECTS = Table(
    "projects",
    METADATA,
    Column("project_id", Text, primary_key=True),
    Column("billing_account_id", Text, ForeignKey("billing_accounts.id"), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Index("projects_by_account", "billing_account_id"),
)

PROJECT_LINKS = Table(
    "project_links",
    METADATA,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("project_id", Text, nullable=False),
    Column("billing_account_id", Text, ForeignKey("billing_accounts.id"), nullable=False),
    Column("linked_from", DateTime(timezone=True), nullable=False),
    Column("linked_until", DateTime(timezone=True), nullable=True),
    CheckConstraint("linked_until IS NULL OR linked_until >= linked_from", name="project_links_ordered"),
    Index("project_links_by_project", "project_id", "linked_from"),
    # At most one open link per project.
    Index("project_links_one_open", "project_id", unique=True, postgresql_where=text("linked_until IS NULL")),
)

PAYMENT_METHODS_REPLICA = Table(
    "payment_methods_replica",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("has_primary", Boolean, nullable=False),
    Column("brand", Text, nullable=True),
    Column("last4", Text, nullable=True),
    Column("exp_month", Integer, nullable=True),
    Column("exp_year", Integer, nullable=True),
    Column("count", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

INVOICES_REPLICA = Table(
    "invoices_replica",
    METADATA,
    Column("invoice_id", Text, primary_key=True),
    Column("billing_account_id", Text, nullable=False),
    Column("invoice_number", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("progress", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('finalized', 'payment_due', 'not_paid', 'paid', 'void')", name="invoices_replica_status"),
    CheckConstraint("amount >= 0", name="invoices_replica_amount"),
    Index("invoices_replica_by_account", "billing_account_id"),
)
