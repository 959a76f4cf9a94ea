"""The outbox and inbox tables, the same in every service's own database.

Each service's Alembic history creates them with `create_messaging_tables()`.
"""

from sqlalchemy import BigInteger, Column, Connection, DateTime, Identity, Index, LargeBinary, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.types import UserDefinedType


class Xid8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id, comparable with a snapshot's xmin."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "xid8"

OUTBOX_CHANNEL = "outbox_committed"


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        # Allocation order, not commit order: see OutboxRelay for how the two are reconciled.
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        # The writing transaction's id: the relay's fence against rows still being committed.
        Column("txid", Xid8, nullable=False, server_default=text("pg_current_xact_id()")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
        # What retention deletes by (messaging_0004): rows are published in about the order they
        # are stored, so a BRIN summary finds old ones at next to no cost to the relay's updates.
        Index("outbox_by_published_at", "published_at", postgresql_using="brin"),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        # Per consumer: two subscribers of one service may each need their effect of one event.
        # The event id leads the key: a batch's thousands of lookups then compare UUIDs (bytes),
        # not the consumer's name, which is the same in nearly every row (messaging_0002).
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("consumer", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # What retention deletes by (messaging_0003). BRIN: rows come in time order, so a summary
        # per block range finds them, at next to no cost to the inserts on the hot path.
        Index("inbox_by_processed_at", "processed_at", postgresql_using="brin"),
    )


METADATA = MetaData()
OUTBOX = outbox_table(METADATA)
INBOX = inbox_table(METADATA)


def install(connection: Connection) -> None:
    """Create the outbox, the inbox and the outbox's wake-up trigger.

    Called from each service's Alembic history as `install(op.get_bind())`.
    """
    METADATA.create_all(connection)
    # NOTIFY is delivered when the writing transaction commits: the relay wakes for committed rows.
    connection.exec_driver_sql(
        f"""
        CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$;
        CREATE OR REPLACE TRIGGER outbox_committed AFTER INSERT ON outbox
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
        """
    )


def uninstall(connection: Connection) -> None:
    connection.exec_driver_sql("DROP TABLE IF EXISTS outbox, inbox; DROP FUNCTION IF EXISTS outbox_notify();")
