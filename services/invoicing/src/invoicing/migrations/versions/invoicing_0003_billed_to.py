"""Invoices carry who they are addressed to: the account's billing details, copied at finalization.

Revision ID: invoicing_0003
Revises: invoicing_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "invoicing_0003"
down_revision = "invoicing_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account_replica", sa.Column("billed_to", JSONB))
    op.add_column("invoices", sa.Column("billed_to", JSONB))


def downgrade() -> None:
    op.drop_column("invoices", "billed_to")
    op.drop_column("account_replica", "billed_to")
