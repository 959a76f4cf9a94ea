"""Billing accounts and their members.

Revision ID: accounts_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = None
branch_labels = ("accounts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="active"),
        sa.Column("billing_email", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="billing_accounts_currency_iso"),
        sa.CheckConstraint("status IN ('active', 'deletion_requested', 'closed')", name="billing_accounts_status"),
        sa.CheckConstraint("version >= 1", name="billing_accounts_version_positive"),
    )
    op.create_table(
        "account_members",
        sa.Column(
            "billing_account_id", sa.Text, sa.ForeignKey("billing_accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.CheckConstraint("email = lower(email)", name="account_members_email_lower"),
        sa.CheckConstraint("role IN ('owner', 'admin', 'viewer')", name="account_members_role"),
    )
    op.create_index("account_members_by_email", "account_members", ["email"])


def downgrade() -> None:
    op.drop_table("account_members")
    op.drop_table("billing_accounts")
