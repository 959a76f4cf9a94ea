"""Room on each page of usage_aggregates for the next version of its rows.

Every batch of usage updates thousands of aggregates. An update whose new version fits on the
row's own page is "HOT": no index entry is written for it. With pages filled to the brim, some
updates moved rows to other pages and wrote both indexes again.

Revision ID: invoicing_0006
Revises: invoicing_0005
"""

from alembic import op

revision = "invoicing_0006"
down_revision = "invoicing_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Pages written from now on keep a fifth free; existing pages fill up as they are (a
    # `VACUUM FULL` would repack them, under an exclusive lock: not needed for this).
    op.execute("ALTER TABLE usage_aggregates SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE usage_aggregates RESET (fillfactor)")
