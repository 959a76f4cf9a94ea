"""Retry schedule on charges, closed charges (voided, paid elsewhere) and the Stripe webhook log.

Revision ID: payments_0002
Revises: payments_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0002"
down_revision = "payments_0001"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('due', 'in_flight', 'succeeded', 'failed')"
NEW_STATUSES = "status IN ('due', 'in_flight', 'succeeded', 'failed', 'voided', 'paid_elsewhere')"


def upgrade() -> None:
    op.add_column("charges", sa.Column("next_attempt_at", sa.DateTime(timezone=True),
                                       comment="when the worker next charges a due charge"))
    op.add_column("charges", sa.Column("first_failed_at", sa.DateTime(timezone=True),
                                       comment="the retry schedule counts from here"))
    op.add_column("charges", sa.Column("by_hand", sa.Boolean, nullable=False, server_default=sa.text("false"),
                                       comment="the latest attempt was the customer's"))
    op.execute("UPDATE charges SET next_attempt_at = updated_at WHERE status = 'due'")
    op.drop_constraint("charges_status", "charges", type_="check")
    op.create_check_constraint("charges_status", "charges", NEW_STATUSES)
    op.create_index("charges_due", "charges", ["next_attempt_at"], postgresql_where=sa.text("status = 'due'"))
    op.create_index("charges_payment_intent", "charges", ["payment_intent_id"])
    op.create_table(
        "stripe_webhook_events",
        sa.Column("event_id", sa.Text, primary_key=True, comment="Stripe's event id (evt_...): each is applied once"),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("payment_intent_id", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stripe_webhook_events")
    op.drop_index("charges_payment_intent", "charges")
    op.drop_index("charges_due", "charges")
    op.drop_constraint("charges_status", "charges", type_="check")
    op.create_check_constraint("charges_status", "charges", OLD_STATUSES)
    for column in ("by_hand", "first_failed_at", "next_attempt_at"):
        op.drop_column("charges", column)
