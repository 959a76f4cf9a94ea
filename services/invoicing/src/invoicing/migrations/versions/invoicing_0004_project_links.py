"""The replica of project links: usage is billed to the account a project belonged to when it happened.

Revision ID: invoicing_0004
Revises: invoicing_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0004"
down_revision = "invoicing_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_links",
        sa.Column("project_id", sa.Text, primary_key=True),
        sa.Column("linked_from", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("billing_account_id", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_links")
