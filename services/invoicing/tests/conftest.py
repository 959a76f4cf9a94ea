"""Fixtures of invoicing's integration tests: its database, migrated, on the shared PostgreSQL server."""

import uuid
from collections.abc import AsyncIterator, Callable

import psycopg
import pytest
from billing_runtime.database import create_engine
from billing_runtime.migrations import upgrade
from devstack.postgres import database_url
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.bootstrap import MIGRATIONS
from invoicing.domain.periods import BillingPeriod


@pytest.fixture(scope="session")
def invoicing_url(stack) -> str:
    """The invoicing database the services share, at the latest schema."""
    url = stack.database_url("invoicing")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
async def engine(invoicing_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(invoicing_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def private_database(stack) -> Callable[[], str]:
    """A fresh, migrated database of one's own, for tests that look at every row (the scheduler
    closes every due period it finds); dropped afterwards."""
    names: list[str] = []

    def create() -> str:
        name = f"invoicing_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(stack.postgres_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        url = database_url(stack.postgres_url, name)
        upgrade(MIGRATIONS, url)
        return url

    yield create
    with psycopg.connect(stack.postgres_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def far_period() -> BillingPeriod:
    """A month centuries away, its own per test: the shared database's other accounts never have
    usage in it, and no scheduler on a real clock closes it."""
    n = uuid.uuid4().int
    return BillingPeriod.month(2200 + n % 700, 1 + (n >> 16) % 12)
