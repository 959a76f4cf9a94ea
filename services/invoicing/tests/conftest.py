"""Fixtures of invoicing's integration tests: its database, migrated, on the shared PostgreSQL server."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack

import pytest
from billing_runtime.database import create_engine
from billing_runtime.migrations import upgrade
from devstack.postgres import scratch_database
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
    with ExitStack() as databases:

        def create() -> str:
            url = databases.enter_context(scratch_database(stack.postgres_url, "invoicing_test"))
            upgrade(MIGRATIONS, url)
            return url

        yield create


@pytest.fixture
def far_period() -> BillingPeriod:
    """A month centuries away, its own per test: the shared database's other accounts never have
    usage in it, and no scheduler on a real clock closes it."""
    n = uuid.uuid4().int
    return BillingPeriod.month(2200 + n % 700, 1 + (n >> 16) % 12)
