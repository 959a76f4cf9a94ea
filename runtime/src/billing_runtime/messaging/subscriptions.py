"""Subscribing a service to events, the one way the platform allows.

Every subscriber gets an explicit consumer group, starts from the earliest offset when the
group is new (no event is skipped), never auto-commits, and commits only after its
`IdempotentConsumer` returned, that is after the database commit; on an error that is not the
message's fault it nacks, and the message is delivered again. A batch subscriber does the same
through a `BatchPipeline`, which reads the next batch while the previous one is applied.
"""

import asyncio
from collections.abc import Awaitable, Callable

from billing_contracts import Envelope
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from billing_runtime.messaging.consumer import Handler, IdempotentConsumer, RetryPolicy
from billing_runtime.messaging.dead_letters import DeadLetters
from billing_runtime.messaging.pipeline import BatchPipeline

SAFE_ACK_POLICIES = frozenset({AckPolicy.NACK_ON_ERROR, AckPolicy.MANUAL})
HEARTBEAT_INTERVAL_MS = 1_000
"""A service's subscribers share its group, and each one joining (a process starting, a deploy, a
scale-up) rebalances them all; members learn of a rebalance by their next heartbeat. At aiokafka's
3 s, a process's five subscribers joining one after another paused the group for 10 s and more;
at 1 s a third of that (the session timeout stays 10 s)."""


FETCH_MOST_BYTES = 24 * 1024 * 1024
"""The most a batch subscriber's fetch brings back (aiokafka's default is 50 MiB): room for a full
batch of the bench's usage messages (40,000 records of about 500 bytes: 20 MB). A response is read
into a buffer, copied whole, then each partition's part copied again, and glibc maps any block
above 32 MiB (its largest heap block, see `allocator`) afresh from the kernel and unmaps it when
freed: a 50 MiB response was faulted in page by page, twice, at every fetch. Below that (with the
buffer's growth), it all comes from the heap, which the consumer keeps. See allocator.py for the
figures."""


def _partition_fetch_bytes(max_records: int) -> int:
    """What a batch subscriber fetches per partition: room for a batch of `max_records` ~1 KiB
    messages, so a large batch is there to take at once (aiokafka's 1 MiB at least), within what a
    fetch brings back."""
    return min(max(1024 * 1024, max_records * 1024), FETCH_MOST_BYTES)


async def _raw(message: object) -> None:
    """FastStream's decoder would turn every message body into JSON for nothing: the kit reads
    the raw records (`message.raw_message`) itself."""
    return None


async def _records_as_they_are(records: tuple, original: Callable[[tuple], Awaitable[KafkaMessage]]) -> KafkaMessage:
    """A batch as FastStream's message, without FastStream's reading of every record: its parser
    decodes each record's headers into a dict (about a microsecond a message, for nothing: the
    kit reads the raw records). It parses the first record alone, for the consumer, topic and
    ids, and the message then carries the whole batch."""
    message = await original(records[:1])
    message.raw_message = records
    message.body = None
    return message


class EventSubscriptions:
    def __init__(
        self, router: KafkaRouter, group_id: str, engine: AsyncEngine, dead_letters: DeadLetters,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.router = router
        self.group_id = group_id
        self.engine = engine
        self.dead_letters = dead_letters
        self.retry = retry
        self.topics: set[str] = set()
        self.pipelines: list[BatchPipeline] = []
        self.inboxes: dict[str, str] = {}
        """Per topic, the name its handler's events are recorded under in the inbox."""

    async def close(self, timeout: float = 10.0) -> None:
        """Before the broker stops: the batch subscribers take nothing more, and the batches they
        have in flight commit (see `BatchPipeline.close`)."""
        await asyncio.gather(*(pipeline.close(timeout) for pipeline in self.pipelines))

    def on(
        self, topic: str, *, batch: bool = False, max_records: int = 500, parse: Callable[[bytes], Envelope] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register `handler` for `topic`; with `batch`, whole batches of up to `max_records`
        share one transaction (larger batches: fewer transactions and round trips per event).
        `parse` reads a message value instead of the contracts' reading (a faster one for a busy
        topic); it must raise the contracts' `ContractError` for a message they refuse."""

        def register(handler: Handler) -> Handler:
            # Two subscribers of one group on one topic would split its partitions between
            # them, each seeing only part of the events: one handler per topic, always.
            if topic in self.topics:
                raise ValueError(f"{self.group_id} already subscribes to {topic}; use one handler per topic")
            self.topics.add(topic)
            consumer = IdempotentConsumer(f"{self.group_id}.{handler.__name__}", self.engine, self.dead_letters, self.retry,
                                          parse)
            self.inboxes[topic] = consumer.name
            options = dict(
                group_id=self.group_id,
                auto_offset_reset="earliest",
                title=f"{self.group_id}:{topic}:{handler.__name__}",
                decoder=_raw,
                heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
            )
            if batch:
                pipeline = BatchPipeline(consumer, handler)
                self.pipelines.append(pipeline)

                # MANUAL: the pipeline commits each batch's own offsets after its transaction.
                @self.router.subscriber(topic, batch=True, max_records=max_records, ack_policy=AckPolicy.MANUAL,
                                        max_partition_fetch_bytes=_partition_fetch_bytes(max_records),
                                        fetch_max_bytes=FETCH_MOST_BYTES,
                                        parser=_records_as_they_are, **options)
                async def consume_batch(message: KafkaMessage) -> None:
                    await pipeline.submit(message.raw_message, message.consumer)

            else:

                @self.router.subscriber(topic, ack_policy=AckPolicy.NACK_ON_ERROR, **options)
                async def consume_one(message: KafkaMessage) -> None:
                    await consumer.consume([message.raw_message], handler)  # an aiokafka record is a delivery

            return handler

        return register


def unsafe_subscribers(broker: KafkaBroker) -> list[str]:
    """Subscribers that could lose or skip a message: auto-commit (FastStream's default
    ACK_FIRST), ACK or REJECT_ON_ERROR (commit past a failure), or no consumer group."""
    problems = []
    for subscriber in broker.subscribers:
        name = ", ".join(subscriber.topic_names) or "?"
        if subscriber.ack_policy not in SAFE_ACK_POLICIES:
            problems.append(f"{name}: ack policy {subscriber.ack_policy} can lose messages")
        if not subscriber.group_id:
            problems.append(f"{name}: no consumer group")
    return problems
