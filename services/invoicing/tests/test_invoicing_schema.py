"""The migrations build exactly the tables the code describes."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from invoicing.adapters.tables import METADATA


def test_the_migrated_schema_matches_the_tables_in_code(private_database):
    engine = create_engine(private_database())
    try:
        with engine.connect() as connection:
            # The kit's tables (outbox, inbox, members replica) are the runtime's to check.
            ours = MigrationContext.configure(
                connection, opts={"include_name": lambda name, kind, _: kind != "table" or name in METADATA.tables}
            )
            differences = compare_metadata(ours, METADATA)
            tables = set(inspect(connection).get_table_names())
            sequences = set(inspect(connection).get_sequence_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {"usage_aggregates", "account_replica", "invoices", "invoice_lines", "outbox", "inbox",
            "account_members_replica"} <= tables
    assert "invoice_numbers" in sequences


def test_usage_aggregates_keep_room_on_each_page_for_their_updates(private_database):
    engine = create_engine(private_database())
    try:
        with engine.connect() as connection:
            options = connection.exec_driver_sql(
                "SELECT reloptions FROM pg_class WHERE relname = 'usage_aggregates'").scalar_one()
    finally:
        engine.dispose()
    assert options == ["fillfactor=80"]  # invoicing_0006: updates stay on their page (HOT)
