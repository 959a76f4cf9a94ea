"""Alembic, driven from code: each service keeps its own migrations and version table."""

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool, text

MIGRATION_LOCK = 0x0B1771_0316  # any constant, the same for every process migrating one database


SHARED_VERSIONS = Path(__file__).parent / "messaging" / "migrations"


def alembic_config(migrations_dir: Path, url: str) -> Config:
    """The service's own history plus the shared kit's branch (outbox and inbox)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("version_locations", f"{migrations_dir / 'versions'} {SHARED_VERSIONS}")
    config.set_main_option("path_separator", "space")
    # Passed as an attribute, not an option: options are %-interpolated and URLs may hold '%'.
    config.attributes["database_url"] = url
    return config


def upgrade(migrations_dir: Path, url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(migrations_dir, url), revision)


def run_migrations(target_metadata: MetaData | None) -> None:
    """Body of every service's `env.py`: migrate online, in one transaction."""
    url = context.config.attributes["database_url"]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            # Pods that start together migrate one after the other; the later ones find
            # nothing left to do. The lock ends with the transaction.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()
