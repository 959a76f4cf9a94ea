"""Fixtures of the notifications tests: a fake Mailer, and a database of their own."""

from collections.abc import AsyncIterator, Iterator

import pytest
from billing_runtime.database import create_engine
from billing_runtime.migrations import upgrade
from devstack.postgres import scratch_database
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.bootstrap import MIGRATIONS
from notifications.domain.mail import OutgoingEmail


class FakeMailer:
    """Keeps what it is given; raises the queued errors first, one per send."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[OutgoingEmail] = []

    async def send(self, message: OutgoingEmail) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)


@pytest.fixture
def fake_mailer() -> type[FakeMailer]:
    return FakeMailer


@pytest.fixture(scope="session")
def notifications_database(stack) -> Iterator[str]:
    """A fresh database migrated by the service's own history (the kit's branches included),
    so no other test's pending emails are sent, or delayed, by these tests' sender passes."""
    with scratch_database(stack.postgres_url, "notifications_it") as url:
        upgrade(MIGRATIONS, url)
        yield url


@pytest.fixture
async def engine(notifications_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(notifications_database)
    yield engine
    await engine.dispose()
