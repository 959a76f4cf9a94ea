"""The outbox and inbox of the shared messaging kit.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
from billing_runtime.messaging.tables import install, uninstall

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    uninstall(op.get_bind())
