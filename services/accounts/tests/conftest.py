"""Fixtures of the accounts tests: the migrated accounts database, and a fake id generator."""

import uuid
from collections.abc import AsyncIterator

import pytest
from billing_runtime.database import create_engine
from billing_runtime.migrations import upgrade
from sqlalchemy.ext.asyncio import AsyncEngine

from accounts.bootstrap import MIGRATIONS


class SequentialAccountIds:
    """A fake of the `AccountIds` port: predictable ids, unique to this run (the database is shared)."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:10]
        self.issued: list[str] = []

    def new_account_id(self) -> str:
        self.issued.append(f"ba_{self.run}{len(self.issued) + 1:06d}")
        return self.issued[-1]


@pytest.fixture
def account_ids() -> SequentialAccountIds:
    return SequentialAccountIds()


@pytest.fixture(scope="session")
def accounts_database_url(stack) -> str:
    url = stack.database_url("accounts")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
async def accounts_engine(accounts_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(accounts_database_url)
    yield engine
    await engine.dispose()
