"""A service's subscribers share its consumer group: started together, their joins meet in one
rebalance or two, instead of one rebalance per subscriber that pauses every consumer of the
group each time (as FastStream's own start, one subscriber after another, does)."""

import asyncio
import uuid

from billing_runtime.broker import start_broker
from billing_runtime.messaging.dead_letters import DeadLetters
from billing_runtime.messaging.producer import Producer
from billing_runtime.messaging.subscriptions import EventSubscriptions
from faststream.kafka import KafkaBroker, KafkaRouter

TOPICS = ("charge.failed", "charge.succeeded", "project.linked", "billing_account.changed", "invoice.finalized",
          "invoice.voided")


async def test_the_subscribers_of_a_process_join_their_group_together(engine, stack):
    group = f"start-{uuid.uuid4().hex[:8]}"
    router = KafkaRouter()
    events = EventSubscriptions(router, group, engine, DeadLetters(Producer(stack.kafka_bootstrap_servers, group), group))
    for topic in TOPICS:
        async def handler(envelopes, transaction):
            return None
        handler.__name__ = f"on_{topic.replace('.', '_')}"
        events.on(topic)(handler)
    broker = KafkaBroker(stack.kafka_bootstrap_servers, routers=[router], logger=None)
    await start_broker(broker)
    try:
        consumers = [subscriber.consumer for subscriber in broker.subscribers]
        async with asyncio.timeout(30):
            while not all(consumer.assignment() for consumer in consumers):
                await asyncio.sleep(0.05)
        # Each rebalance is a generation of the group: one per subscriber, one after another, would be 6.
        generations = [consumer._coordinator.generation for consumer in consumers]
        assert max(generations) <= 3, generations
    finally:
        await broker.stop()
