"""Batches one behind the other: the next batch is read while the previous one's transaction runs.

A batch subscriber spends its time in two places that can work at once: this process reading
messages (CPU) and the database applying a batch. Done one after the other, each waits for the
other; `BatchPipeline` lets batch N+1 be read while batch N's transaction runs, and keeps every
guarantee of the kit:
- batches are applied one at a time, in the order they came (so in offset order per partition);
- a batch's offsets are committed, explicitly and only its own, once its transaction committed
  (FastStream's ack would commit the consumer's position, which is already past the next batch);
- a batch that fails (the database or broker is away; a message's own fault never fails one)
  stops the line: nothing after it is applied or committed, the batch read behind it is dropped,
  and every partition of both goes back to the failed batch's first offsets, so it all comes again.
Offsets left uncommitted (a crash, a rebalance, a stop while a batch is applied, a commit that
failed) only mean events delivered again, which the inbox drops.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiokafka import ConsumerRecord, TopicPartition

from billing_runtime.messaging.consumer import Handler, IdempotentConsumer
from billing_runtime.messaging.dead_letters import Delivery

log = logging.getLogger(__name__)


class OffsetKeeper(Protocol):
    """What the pipeline uses of `AIOKafkaConsumer`."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...


def _offsets(deliveries: Sequence[Delivery]) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Per partition, the batch's first offset and the offset after its last."""
    bounds: dict[tuple[str, int], list[int]] = {}
    for d in deliveries:
        seen = bounds.get((d.topic, d.partition))
        if seen is None:
            bounds[(d.topic, d.partition)] = [d.offset, d.offset]
        elif d.offset < seen[0]:
            seen[0] = d.offset
        elif d.offset > seen[1]:
            seen[1] = d.offset
    return ({TopicPartition(*p): low for p, (low, _) in bounds.items()},
            {TopicPartition(*p): high + 1 for p, (_, high) in bounds.items()})


class BatchPipeline:
    def __init__(self, consumer: IdempotentConsumer, handler: Handler) -> None:
        self.consumer = consumer
        self.handler = handler
        self._applying: asyncio.Task[bool] | None = None
        self._applying_from: dict[TopicPartition, int] = {}

    async def submit(self, records: Sequence[ConsumerRecord], kafka: OffsetKeeper) -> None:
        """Read the batch (while the one before is applied), then start applying it once the one
        before is done; returns without waiting for it."""
        deliveries = [Delivery.from_record(record) for record in records]
        first, after = _offsets(deliveries)
        try:
            readable = await self.consumer.read_all(deliveries)
        except Exception:
            _rewind(kafka, first)  # a dead letter could not be sent: the batch comes again
            raise
        if not await self._previous_applied(kafka, first):
            return
        self._applying_from = first
        self._applying = asyncio.create_task(self._apply_and_commit(readable, first, after, kafka))

    async def drain(self) -> None:
        """Wait for the batch being applied, if any (its failure is logged, not raised)."""
        if self._applying is not None:
            await asyncio.wait([self._applying])

    async def _previous_applied(self, kafka: OffsetKeeper, first: dict[TopicPartition, int]) -> bool:
        if self._applying is None:
            return True
        applying, self._applying = self._applying, None
        await asyncio.wait([applying])
        if applying.cancelled() or not applying.result():
            # The batch before did not commit: this one must not be applied before it, nor
            # committed past it. Both come again from the failed batch's first offsets.
            _rewind(kafka, {**first, **self._applying_from})
            log.warning("%s: dropped a batch of %d partition(s) read behind a failed one; it comes again",
                        self.consumer.name, len(first))
            return False
        return True

    async def _apply_and_commit(
        self, readable, first: dict[TopicPartition, int], after: dict[TopicPartition, int], kafka: OffsetKeeper,
    ) -> bool:
        """Whether the batch's transaction committed."""
        try:
            await self.consumer.apply(readable, self.handler)
        except Exception:  # noqa: BLE001 - it is not lost: it comes again
            log.exception("%s: a batch failed; its messages come again", self.consumer.name)
            _rewind(kafka, first)  # at once: no other batch may be coming to notice it
            return False
        try:
            await kafka.commit(after)
        except Exception as error:  # noqa: BLE001 - the effects are committed: at worst they come again, and are dropped
            log.warning("%s: offsets not committed (%s); a later commit or a redelivery covers them", self.consumer.name, error)
        return True


def _rewind(kafka: OffsetKeeper, offsets: dict[TopicPartition, int]) -> None:
    for partition, offset in offsets.items():
        try:
            kafka.seek(partition, offset)
        except Exception as error:  # noqa: BLE001 - not ours any more: its new owner reads from the committed offset
            log.info("not rewinding %s (%s)", partition, error)
