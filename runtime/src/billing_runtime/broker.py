"""The service's Kafka broker (FastStream), configured for billing: nothing lost, nothing invented."""

import asyncio
import logging
from collections.abc import Iterable

from faststream.kafka import KafkaBroker, KafkaRouter

from billing_runtime.settings import ServiceSettings


def create_broker(settings: ServiceSettings, routers: Iterable[KafkaRouter] = ()) -> KafkaBroker:
    """A broker that does not connect until started.

    The producer is idempotent with acks=all so a retried send is never written twice, and
    topics are never auto-created: they come from the contracts' registry.
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        routers=routers,
        graceful_timeout=15.0,
        # One log line per message is for debugging, not for a stream of usage.
        log_level=logging.DEBUG,
    )


async def broker_ready(broker: KafkaBroker, timeout: float = 2.0) -> bool:
    try:
        return await broker.ping(timeout=timeout)
    except Exception:  # noqa: BLE001 - readiness answers yes or no
        return False


async def start_broker(broker: KafkaBroker) -> None:
    """`broker.start()`, but with the subscribers started together instead of one after another.

    A service's subscribers share its consumer group, and each one joining rebalances the group.
    One after another, the five of a process each waited for the rebalance its join caused
    (about a heartbeat and a half each): a starting process paused every consumer of the group
    for several seconds, more with several processes starting at once. Together, their joins
    meet in one or two rebalances.
    """
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True
