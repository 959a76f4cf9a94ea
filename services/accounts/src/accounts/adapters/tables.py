"""The accounts database: billing accounts and their members (accounts owns the members;
other services only keep a replica of them, built from `billing_account.changed`)."""

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, MetaData, Table, Text

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
