"""Notification preferences per billing account.

Revision ID: notifications_0002
Revises: notifications_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0002"
down_revision = "notifications_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("billing_account_id", sa.Text, primary_key=True),
        sa.Column("receipts", sa.Boolean, nullable=False),
        sa.Column("invoice_available", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("held_events_by_age", "held_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("held_events_by_age", "held_events")
    op.drop_table("notification_preferences")
