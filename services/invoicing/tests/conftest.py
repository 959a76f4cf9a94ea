"""Fixtures of invoicing's integration tests: its database, migrated, on the shared PostgreSQL server."""

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from billing_runtime.clock import Clock
from billing_runtime.database import create_engine
from billing_runtime.messaging.consumer import Handler, IdempotentConsumer, RetryPolicy
from billing_runtime.messaging.dead_letters import DeadLetters, Delivery
from billing_runtime.messaging.producer import Producer
from billing_runtime.migrations import upgrade
from devstack.postgres import scratch_database
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.bootstrap import MIGRATIONS
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import UsageWindow
from invoicing.entrypoints import stream


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
    return unique_far_month()


_HANDED_OUT: set[tuple[int, int]] = set()


def unique_far_month() -> BillingPeriod:
    """A month of the years 2200-9199 no test of this run had. About a hundred tests take one: drawn
    at random from 700 years alone, two of them shared a month in about every other run, and one's
    closing then billed the other's usage too (a CI run failed so on 2026-11-30). Random rather
    than counted, so that a database kept from an earlier run holds little in the months drawn."""
    while True:
        n = uuid.uuid4().int
        month = (2200 + n % 7000, 1 + (n >> 16) % 12)
        if month not in _HANDED_OUT:
            _HANDED_OUT.add(month)
            return BillingPeriod.month(*month)


class RecordingSubscriptions:
    """Takes the service's subscribers as `EventSubscriptions` would, and keeps them to call."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.batch: dict[str, bool] = {}
        self.readers: dict = {}

    def on(self, topic: str, *, batch: bool = False, max_records: int = 500, parse=None):
        def register(handler):
            self.handlers[topic], self.batch[topic], self.readers[topic] = handler, batch, parse
            return handler
        return register


@pytest.fixture
def subscribers() -> RecordingSubscriptions:
    return RecordingSubscriptions()


@dataclass
class UsageConsumer:
    """Invoicing's usage subscriber behind the kit's idempotent consumer, as the service runs it."""

    consumer: IdempotentConsumer
    handler: Handler
    read: Callable

    async def consume(self, deliveries: Sequence[Delivery]) -> None:
        await self.consumer.consume(deliveries, self.handler)


@pytest.fixture
async def usage_consumer(engine, stack) -> AsyncIterator[Callable[..., UsageConsumer]]:
    """Makes a `UsageConsumer` on the clock and window given (in `engine`'s database unless told);
    dead letters go to the real broker."""
    producer = Producer(stack.kafka_bootstrap_servers, "invoicing-tests")
    await producer.start()

    def make(clock: Clock, window: UsageWindow = UsageWindow(), database: AsyncEngine = engine) -> UsageConsumer:
        subscriptions = RecordingSubscriptions()
        stream.subscribe(subscriptions, clock=clock, window=window)
        handler, read = subscriptions.handlers["usage.recorded"], subscriptions.readers["usage.recorded"]
        consumer = IdempotentConsumer(f"invoicing.{handler.__name__}", database, DeadLetters(producer, "invoicing"),
                                      RetryPolicy(attempts=2, first_backoff=0.01), read)
        return UsageConsumer(consumer, handler, read)

    yield make
    await producer.stop()
