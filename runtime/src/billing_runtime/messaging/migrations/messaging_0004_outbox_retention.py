"""A BRIN index on the outbox's `published_at`, for the relay's retention to find old rows.

Without retention the outbox kept every event a service ever published. The relay now deletes
rows published more than `OUTBOX_RETENTION_DAYS` ago, by age; a BRIN summary per block range finds
them without reading the whole table, and costs the relay's updates next to nothing, because rows
are published in about the order they are stored.

Revision ID: messaging_0004
Revises: messaging_0003
"""

from alembic import op

revision = "messaging_0004"
down_revision = "messaging_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS outbox_by_published_at ON outbox USING brin (published_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS outbox_by_published_at")
