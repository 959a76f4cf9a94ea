"""The outbox and inbox of the messaging kit, in every service's database.

A branch of its own ("messaging") that every service's Alembic history includes through
its version locations, so the kit's schema is written once, here.

Revision ID: messaging_0001
Revises:
"""

from alembic import op

from billing_runtime.messaging.tables import install, uninstall

revision = "messaging_0001"
down_revision = None
branch_labels = ("messaging",)
depends_on = None


def upgrade() -> None:
    install(op.get_bind())


def downgrade() -> None:
    uninstall(op.get_bind())
