"""The price book in the database (seeded from the shipped file), aggregates for every
aggregation, late usage, per-project invoices, and lines that name their usage period.

Revision ID: invoicing_0002
Revises: invoicing_0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "invoicing_0002"
down_revision = "invoicing_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("usage_aggregates", sa.Column("event_count", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column("usage_aggregates", sa.Column("max_quantity", sa.Numeric, nullable=False, server_default="0"))
    op.add_column("usage_aggregates", sa.Column("late_unbilled", sa.Boolean, nullable=False, server_default="false"))
    op.execute("UPDATE usage_aggregates SET max_quantity = quantity")
    op.create_table(
        "usage_unique_values",
        sa.Column("billing_account_id", sa.Text, nullable=False),
        sa.Column("project_id", sa.Text, nullable=False),
        sa.Column("meter", sa.Text, nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("billing_account_id", "project_id", "meter", "period_start", "value"),
    )
    op.create_table(
        "invoice_settings",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("per_project", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    meters = op.create_table(
        "meters",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("aggregation", sa.Text, nullable=False),
        sa.Column("unique_property", sa.Text),
    )
    prices = op.create_table(
        "prices",
        sa.Column("meter", sa.Text, sa.ForeignKey("meters.code"), primary_key=True),
        sa.Column("currency", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("unit_price", sa.Numeric),
        sa.Column("tiers", JSONB),
        sa.Column("package_size", sa.Numeric),
        sa.Column("package_price", sa.Numeric),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("invoices", sa.Column("project_id", sa.Text))
    op.drop_constraint("invoices_one_per_account_and_period", "invoices", type_="unique")
    op.create_unique_constraint("invoices_one_per_account_period_project", "invoices",
                                ["billing_account_id", "period_start", "project_id"], postgresql_nulls_not_distinct=True)

    op.add_column("invoice_lines", sa.Column("usage_period_start", sa.DateTime(timezone=True)))
    op.execute("UPDATE invoice_lines l SET usage_period_start = i.period_start FROM invoices i WHERE i.id = l.invoice_id")
    op.alter_column("invoice_lines", "usage_period_start", nullable=False)
    op.alter_column("invoice_lines", "unit_price", nullable=True)
    op.add_column("invoice_lines", sa.Column("price_model", sa.Text, nullable=False, server_default="per_unit"))
    op.add_column("invoice_lines", sa.Column("price_terms", sa.Text, nullable=False, server_default=""))
    op.add_column("invoice_lines", sa.Column("event_count", sa.BigInteger, nullable=False, server_default="0"))
    op.drop_constraint("invoice_lines_pkey", "invoice_lines", type_="primary")
    op.create_primary_key("invoice_lines_pkey", "invoice_lines", ["invoice_id", "project_id", "meter", "usage_period_start"])
    op.create_index("invoice_lines_by_usage", "invoice_lines", ["project_id", "meter", "usage_period_start"])

    _seed_default_price_book(meters, prices)


def _seed_default_price_book(meters: sa.Table, prices: sa.Table) -> None:
    """The shipped price book file, its prices in effect since 1970."""
    from invoicing.adapters.price_book_file import load_price_book, price_rows

    book = load_price_book()
    op.bulk_insert(meters, [{"code": m.code, "unit": m.unit, "aggregation": m.aggregation.value,
                             "unique_property": m.unique_property} for m in book.meters])
    op.bulk_insert(prices, [row | {"created_at": datetime.now(UTC)} for row in map(price_rows, book.prices)])


def downgrade() -> None:
    op.drop_index("invoice_lines_by_usage", "invoice_lines")
    op.drop_constraint("invoice_lines_pkey", "invoice_lines", type_="primary")
    op.execute("DELETE FROM invoice_lines l USING invoices i WHERE i.id = l.invoice_id AND l.usage_period_start <> i.period_start")
    op.create_primary_key("invoice_lines_pkey", "invoice_lines", ["invoice_id", "project_id", "meter"])
    for column in ("event_count", "price_terms", "price_model", "usage_period_start"):
        op.drop_column("invoice_lines", column)
    op.drop_constraint("invoices_one_per_account_period_project", "invoices", type_="unique")
    op.create_unique_constraint("invoices_one_per_account_and_period", "invoices", ["billing_account_id", "period_start"])
    op.drop_column("invoices", "project_id")
    for table in ("prices", "meters", "invoice_settings", "usage_unique_values"):
        op.drop_table(table)
    for column in ("late_unbilled", "max_quantity", "event_count"):
        op.drop_column("usage_aggregates", column)
