"""How the inbox is stored: its key leads with the event id (messaging_0002), in a new database and
in one migrated from the key the kit had before; retention forgets one consumer's old ids only."""

import uuid
from datetime import UTC, datetime, timedelta

from alembic import command
from billing_runtime.messaging.inbox import first_deliveries, forget_processed_before
from billing_runtime.migrations import alembic_config, upgrade
from devstack.postgres import scratch_database
from invoicing.bootstrap import MIGRATIONS
from sqlalchemy import create_engine, inspect, text


def inbox_shape(url: str) -> tuple[list[str], bool]:
    """The inbox's primary key columns, and whether `processed_at` is indexed for retention."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            key = found.get_pk_constraint("inbox")["constrained_columns"]
            return key, "inbox_by_processed_at" in {index["name"] for index in found.get_indexes("inbox")}
    finally:
        engine.dispose()


def test_the_inbox_key_leads_with_the_event_id_and_age_is_indexed_after_upgrading(stack):
    with scratch_database(stack.postgres_url, "inbox_key") as url:
        upgrade(MIGRATIONS, url)
        assert inbox_shape(url) == (["event_id", "consumer"], True)
        command.downgrade(alembic_config(MIGRATIONS, url), "messaging_0001")
        assert inbox_shape(url) == (["consumer", "event_id"], False)  # as messaging_0001 once made it
        upgrade(MIGRATIONS, url)
        assert inbox_shape(url) == (["event_id", "consumer"], True)


async def test_retention_forgets_the_consumers_ids_processed_before_the_time_and_nothing_else(engine):
    now = datetime.now(UTC)
    old, recent, others = ([uuid.uuid4() for _ in range(n)] for n in (25, 3, 4))
    async with engine.begin() as tx:
        await first_deliveries(tx, "usage", old + recent)
        await first_deliveries(tx, "charges", others)
        await tx.execute(text("UPDATE inbox SET processed_at = :at WHERE event_id = ANY(:ids)"),
                         {"at": now - timedelta(days=70), "ids": old + others})

    assert await forget_processed_before(engine, "usage", now - timedelta(days=63), chunk=10) == 25  # in 3 chunks

    async with engine.begin() as tx:
        assert await first_deliveries(tx, "usage", old[:2]) == {str(i) for i in old[:2]}  # forgotten: new again
        assert await first_deliveries(tx, "usage", recent) == set()
        assert await first_deliveries(tx, "charges", others) == set()  # another consumer's, however old
