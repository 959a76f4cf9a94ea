"""Billing details, projects and their history, deletion requests, and the replicas of payment
methods and invoices that decide an account's standing.

Revision ID: accounts_0002
Revises: accounts_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "accounts_0002"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("billing_accounts", sa.Column("deletion_requested_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "billing_details",
        sa.Column("billing_account_id", sa.Text, sa.ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("legal_name", sa.Text, nullable=False),
        sa.Column("billing_emails", ARRAY(sa.Text), nullable=False),
        sa.Column("line1", sa.Text, nullable=False),
        sa.Column("line2", sa.Text, nullable=True),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("postal_code", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=True),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("tax_id", sa.Text, nullable=True),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name="billing_details_country_alpha2"),
        sa.CheckConstraint("cardinality(billing_emails) >= 1", name="billing_details_has_email"),
    )
    op.create_table(
        "projects",
        sa.Column("project_id", sa.Text, primary_key=True),
        sa.Column("billing_account_id", sa.Text, sa.ForeignKey("billing_accounts.id"), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("projects_by_account", "projects", ["billing_account_id"])
    op.create_table(
        "project_links",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("project_id", sa.Text, nullable=False),
        sa.Column("billing_account_id", sa.Text, sa.ForeignKey("billing_accounts.id"), nullable=False),
        sa.Column("linked_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("linked_until IS NULL OR linked_until >= linked_from", name="project_links_ordered"),
    )
    op.create_index("project_links_by_project", "project_links", ["project_id", "linked_from"])
    op.create_index(
        "project_links_one_open", "project_links", ["project_id"], unique=True,
        postgresql_where=sa.text("linked_until IS NULL"),
    )
    op.create_table(
        "payment_methods_replica",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("has_primary", sa.Boolean, nullable=False),
        sa.Column("brand", sa.Text, nullable=True),
        sa.Column("last4", sa.Text, nullable=True),
        sa.Column("exp_month", sa.Integer, nullable=True),
        sa.Column("exp_year", sa.Integer, nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "invoices_replica",
        sa.Column("invoice_id", sa.Text, primary_key=True),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("invoice_number", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('finalized', 'payment_due', 'not_paid', 'paid', 'void')", name="invoices_replica_status"
        ),
        sa.CheckConstraint("amount >= 0", name="invoices_replica_amount"),
    )
    op.create_index("invoices_replica_by_account", "invoices_replica", ["billing_account_id"])


def downgrade() -> None:
    for table in ("invoices_replica", "payment_methods_replica", "project_links", "projects", "billing_details"):
        op.drop_table(table)
    op.drop_column("billing_accounts", "deletion_requested_at")
