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


class StreamHandlers:
    """Stands in for `EventSubscriptions`: keeps the handlers `stream.subscribe` registers."""

    def __init__(self, settings) -> None:
        from notifications.entrypoints import stream

        self.by_topic = {}
        stream.subscribe(self, settings)  # type: ignore[arg-type]

    def on(self, topic, **_):
        def register(handler):
            self.by_topic[topic] = handler
            return handler
        return register


class NoDeadLetters:
    async def put_aside(self, delivery, reason, error, attempts):
        raise AssertionError(f"dead-lettered: {reason}: {error}")


@pytest.fixture
def deliver_event(engine):
    """Delivers an envelope as the kit delivers a Kafka message: parsed, deduplicated by event
    id in the handler's inbox, one transaction, through the service's own stream handlers."""
    from billing_runtime.messaging.consumer import IdempotentConsumer
    from billing_runtime.messaging.dead_letters import Delivery

    from notifications.settings import NotificationsSettings

    async def deliver(envelope, offset: int = 0, dashboard: str = "https://dashboard.example") -> None:
        handler = StreamHandlers(NotificationsSettings(dashboard_base_url=dashboard)).by_topic[envelope.type]
        consumer = IdempotentConsumer(f"notifications.{handler.__name__}", engine, NoDeadLetters())
        await consumer.consume([Delivery(envelope.type, 0, offset, envelope.kafka_key(), envelope.to_bytes())], handler)

    return deliver
