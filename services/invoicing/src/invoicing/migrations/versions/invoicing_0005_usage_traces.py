"""The trace of the latest usage counted into each aggregate, so the invoice that bills it can
link back to where its usage came from.

Revision ID: invoicing_0005
Revises: invoicing_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0005"
down_revision = "invoicing_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing, and aggregates counted before it have none.
    op.add_column("usage_aggregates", sa.Column("traceparent", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("usage_aggregates", "traceparent")
