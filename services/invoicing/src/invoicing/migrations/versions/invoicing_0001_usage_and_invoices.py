"""Usage aggregates, the account replica, invoices with their lines, and invoice numbers.

Revision ID: invoicing_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0001"
down_revision = None
branch_labels = ("invoicing",)
depends_on = None

STATUSES = "'draft', 'payment_pending', 'payment_due', 'not_paid', 'paid', 'void'"


def upgrade() -> None:
    op.create_table(
        "usage_aggregates",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("project_id", sa.Text, primary_key=True),
        sa.Column("meter", sa.Text, primary_key=True),
        sa.Column("period_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("quantity", sa.Numeric, nullable=False),
    )
    op.create_index("usage_aggregates_by_period", "usage_aggregates", ["period_start", "billing_account_id"])
    op.create_table(
        "account_replica",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount_due", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("billing_account_id", "period_start", name="invoices_one_per_account_and_period"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="invoices_status_known"),
        sa.CheckConstraint("amount_due >= 0", name="invoices_amount_due_not_negative"),
    )
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Text, sa.ForeignKey("invoices.id"), primary_key=True),
        sa.Column("project_id", sa.Text, primary_key=True),
        sa.Column("meter", sa.Text, primary_key=True),
        sa.Column("quantity", sa.Numeric, nullable=False),
        sa.Column("unit_price", sa.Numeric, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )
    op.execute("CREATE SEQUENCE invoice_numbers")


def downgrade() -> None:
    op.execute("DROP SEQUENCE invoice_numbers")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("account_replica")
    op.drop_table("usage_aggregates")
