"""Stripe customers, cards on file, account contacts and charges.

Revision ID: payments_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0001"
down_revision = None
branch_labels = ("payments",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stripe_customers",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("stripe_customer_id", sa.Text, nullable=False, unique=True),
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Text, primary_key=True, comment="Stripe's payment method id (pm_...)"),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("last4", sa.Text, nullable=False),
        sa.Column("exp_month", sa.Integer, nullable=False),
        sa.Column("exp_year", sa.Integer, nullable=False),
        sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payment_methods_billing_account_id", "payment_methods", ["billing_account_id"])
    op.create_index(
        "payment_methods_one_primary", "payment_methods", ["billing_account_id"],
        unique=True, postgresql_where=sa.text("is_primary"),
    )
    op.create_table(
        "payment_method_versions",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, comment="of the last payment_methods.changed snapshot"),
    )
    op.create_table(
        "account_contacts",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, comment="for the Stripe customer, from billing_account.changed"),
    )
    op.create_table(
        "charges",
        sa.Column("invoice_id", sa.Text, primary_key=True),
        sa.Column("invoice_number", sa.Text, nullable=False),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("idempotency_key", sa.Text, unique=True, comment="stored before Stripe is called"),
        sa.Column("payment_method_id", sa.Text, comment="the card the attempt charges"),
        sa.Column("payment_intent_id", sa.Text),
        sa.Column("failure_kind", sa.Text),
        sa.Column("decline_code", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('due', 'in_flight', 'succeeded', 'failed')", name="charges_status"),
    )
    op.create_index("ix_charges_billing_account_id", "charges", ["billing_account_id"])
    op.create_index(
        "charges_to_collect", "charges", ["updated_at"], postgresql_where=sa.text("status IN ('due', 'in_flight')")
    )


def downgrade() -> None:
    for table in ("charges", "account_contacts", "payment_method_versions", "payment_methods", "stripe_customers"):
        op.drop_table(table)
