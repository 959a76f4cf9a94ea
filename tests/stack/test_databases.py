"""Each service's own database on the real server: migrated by its Alembic scripts, then queried."""

import importlib
import os
import subprocess
import sys

import psycopg
import pytest
from alembic.script import ScriptDirectory
from billing_runtime.migrations import alembic_config, upgrade
from devstack.endpoints import SERVICES
from sqlalchemy import create_engine, text


def heads_of(service: str) -> set[str]:
    """The last revision of each branch in the service's history: its own, the kit's, access's."""
    migrations = importlib.import_module(f"{service}.bootstrap").MIGRATIONS
    return set(ScriptDirectory.from_config(alembic_config(migrations, "postgresql://unused")).get_heads())


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_migrates_and_queries_its_own_database(stack, service):
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    url = stack.database_url(service)

    upgrade(bootstrap.MIGRATIONS, url)
    upgrade(bootstrap.MIGRATIONS, url)  # a second run finds nothing to do

    engine = create_engine(url)
    with engine.connect() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        tables = set(connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    engine.dispose()
    assert database == service
    assert versions == heads_of(service) and len(versions) == 3
    assert {"outbox", "inbox"} <= tables


def test_the_services_do_not_share_a_database(stack):
    with psycopg.connect(stack.postgres_url) as connection:
        names = {row[0] for row in connection.execute("SELECT datname FROM pg_database")}
    assert set(SERVICES) <= names
    assert len({stack.database_url(service) for service in SERVICES}) == len(SERVICES)


def test_the_services_migration_command_migrates_the_database_it_is_given(stack):
    env = {**os.environ, "DATABASE_URL": stack.database_url("payments")}
    done = subprocess.run([sys.executable, "-m", "payments", "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(stack.database_url("payments").replace("+psycopg", "")) as connection:
        versions = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
    assert versions == heads_of("payments")


def test_processes_migrating_one_database_at_once_all_succeed(stack):
    """Pods of one service start together and each runs its migrations first."""
    from devstack.postgres import scratch_database

    with scratch_database(stack.postgres_url, "concurrent_migrations") as url:
        env = {**os.environ, "DATABASE_URL": url}
        pods = [subprocess.Popen([sys.executable, "-m", "invoicing", "migrate"], env=env, stderr=subprocess.PIPE, text=True)
                for _ in range(4)]
        failures = [pod.communicate(timeout=120)[1] for pod in pods if pod.wait(timeout=120) != 0]
        assert failures == []
        engine = create_engine(url)
        with engine.connect() as connection:
            heads = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        engine.dispose()
        assert heads == heads_of("invoicing")
