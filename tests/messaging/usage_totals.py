"""A tiny consumer of `usage.recorded` built with the messaging kit, as a service would build one:
it adds each account's quantities into `account_usage`. Used in-process and as a process to kill.

    python -m tests.messaging.usage_totals DATABASE_URL BOOTSTRAP GROUP ACCOUNT_PREFIX
"""

import asyncio
import sys
from collections import defaultdict
from decimal import Decimal

from billing_contracts import Envelope
from billing_runtime.messaging.consumer import RetryPolicy
from billing_runtime.messaging.dead_letters import DeadLetters
from billing_runtime.messaging.producer import Producer
from billing_runtime.messaging.subscriptions import EventSubscriptions
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

ADD = text(
    "INSERT INTO account_usage VALUES (:account, :quantity) "
    "ON CONFLICT (account) DO UPDATE SET total = account_usage.total + EXCLUDED.total"
)
POISON_METER = "test.poison"


class UsageTotals:
    def __init__(self, engine: AsyncEngine, bootstrap: str, group: str, prefix: str, *, batch: bool,
                 retry: RetryPolicy = RetryPolicy(attempts=3, first_backoff=0.05)) -> None:
        self.prefix = prefix
        self.poison_cured = False
        self.producer = Producer(bootstrap, group)
        router = KafkaRouter()
        events = EventSubscriptions(router, group, engine, DeadLetters(self.producer, group), retry)
        events.on("usage.recorded", batch=batch, max_records=1000)(self.add_usage)
        self.broker = KafkaBroker(bootstrap, routers=[router], logger=None)

    async def add_usage(self, events: list[Envelope], transaction: AsyncConnection) -> None:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for event in events:
            if not event.subject.startswith(self.prefix):
                continue  # other tests share the topic
            if event.data.meter == POISON_METER and not self.poison_cured:
                raise ValueError(f"meter {POISON_METER} cannot be rated")
            totals[event.subject] += event.data.quantity
        for account, quantity in totals.items():
            await transaction.execute(ADD, {"account": account, "quantity": quantity})

    async def start(self) -> None:
        await self.producer.start()
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.producer.stop()


async def _serve(url: str, bootstrap: str, group: str, prefix: str) -> None:
    from billing_runtime.database import create_engine

    totals = UsageTotals(create_engine(url), bootstrap, group, prefix, batch=True)
    await totals.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(*sys.argv[1:5]))
