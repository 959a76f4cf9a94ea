"""The trace each charge was opened in (its `invoice.finalized`), for its attempts to continue.

Revision ID: payments_0003
Revises: payments_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0003"
down_revision = "payments_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites nothing; charges opened before it have none.
    op.add_column("charges", sa.Column("traceparent", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("charges", "traceparent")
