"""Two batches in flight against the real database: the second records its events in the inbox while
the first is still applied, an event in both never makes them wait for each other, and it counts
once, in the first."""

import asyncio
import uuid

from billing_runtime.messaging.batch_order import BatchBefore
from billing_runtime.messaging.consumer import IdempotentConsumer
from sqlalchemy import text

from .conftest import usage_delivery


async def test_an_event_in_two_batches_in_flight_counts_once_without_either_waiting_forever(engine):
    account = f"ba_{uuid.uuid4().hex[:8]}"
    both, first_only, second_only = usage_delivery(account), usage_delivery(account), usage_delivery(account)
    consumer = IdempotentConsumer("tests.in_flight", engine, dead_letters=None)
    counted: dict[str, list[int]] = {"first": [], "second": []}

    def counting(name: str):
        async def handler(envelopes, transaction):
            counted[name].append(len(envelopes))
        return handler

    first_batch = await consumer.read_all([both, first_only])
    second_batch = await consumer.read_all([both, second_only])
    # The second batch gets to the inbox before the first (nothing orders them there)...
    applied = asyncio.get_running_loop().create_future()
    before = BatchBefore(frozenset(str(envelope.id) for _, envelope in first_batch), applied)
    second = asyncio.create_task(consumer.apply(second_batch, counting("second"), before))
    await asyncio.sleep(0.3)
    assert not second.done() and counted["second"] == []  # recorded, and waiting for the first batch
    # ...and the first must still get through: the second took no row the first needs.
    await asyncio.wait_for(consumer.apply(first_batch, counting("first")), 10)
    applied.set_result(True)
    await asyncio.wait_for(second, 10)

    assert counted == {"first": [2], "second": [1]}  # the shared event counted in the first batch only
    async with engine.connect() as connection:
        rows = await connection.scalar(text("SELECT count(*) FROM inbox WHERE consumer = 'tests.in_flight'"))
    assert rows == 3
