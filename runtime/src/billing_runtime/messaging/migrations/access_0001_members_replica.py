"""The replica of account members that services authorize callers from.

Revision ID: access_0001
Revises:
"""

from alembic import op

from billing_runtime.access import METADATA

revision = "access_0001"
down_revision = None
branch_labels = ("access",)
depends_on = None


def upgrade() -> None:
    METADATA.create_all(op.get_bind())


def downgrade() -> None:
    METADATA.drop_all(op.get_bind())
