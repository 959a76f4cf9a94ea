"""The inbox's key leads with the event id (messaging_0002), in a new database and in one
migrated from the key the kit had before."""

from alembic import command
from billing_runtime.migrations import alembic_config, upgrade
from devstack.postgres import scratch_database
from invoicing.bootstrap import MIGRATIONS
from sqlalchemy import create_engine, inspect


def inbox_key(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_pk_constraint("inbox")["constrained_columns"]
    finally:
        engine.dispose()


def test_the_inbox_key_leads_with_the_event_id_after_upgrading_from_the_old_key(stack):
    with scratch_database(stack.postgres_url, "inbox_key") as url:
        upgrade(MIGRATIONS, url)
        assert inbox_key(url) == ["event_id", "consumer"]
        command.downgrade(alembic_config(MIGRATIONS, url), "messaging_0001")
        assert inbox_key(url) == ["consumer", "event_id"]  # the key as messaging_0001 once made it
        upgrade(MIGRATIONS, url)
        assert inbox_key(url) == ["event_id", "consumer"]
