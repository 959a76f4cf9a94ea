"""A BRIN index on the inbox's `processed_at`, for retention to find old rows.

A service that forgets event ids past its dedup window (`inbox.forget_processed_before`)
deletes by age; without an index each pass would read the whole inbox. A B-tree would cost every
insert another index entry; a BRIN summary per block range costs next to nothing, because rows
are inserted in time order.

Revision ID: messaging_0003
Revises: messaging_0002
"""

from alembic import op

revision = "messaging_0003"
down_revision = "messaging_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS inbox_by_processed_at ON inbox USING brin (processed_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS inbox_by_processed_at")
