"""Batches one behind the other: the next batch is read, and recorded in the inbox, while the
previous one's transaction runs.

A batch subscriber spends its time in two places that can work at once: this process (reading
messages, computing effects) and the database. Done one after the other, each waits for the
other. `BatchPipeline` keeps two batches in flight: while batch N has its effects applied and
committed, batch N+1 is read and its events recorded in the inbox (in its own transaction), and
batch N+2 is read. It keeps every guarantee of the kit:
- effects are applied batch after batch, in the order the batches came (so in offset order per
  partition): a batch's handler runs only once the batch before committed;
- a batch's offsets are committed, explicitly and only its own, once its transaction committed
  (FastStream's ack would commit the consumer's position, which is already past the next batch);
- if a batch fails (the database or broker is away; a message's own fault never fails one),
  nothing after it has effects or commits offsets: the batches behind it roll back, the batch
  read meanwhile is dropped, and every partition goes back to the earliest offset not
  committed, so it all comes again.
Offsets left uncommitted (a crash, a rebalance, a stop while a batch is applied, a commit that
failed) only mean events delivered again, which the inbox drops. A service stopping closes its
pipelines first: the batches in flight finish and commit, and nothing read after is taken, so
the next owner of the partitions starts where this one ended instead of redoing two batches.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from aiokafka import ConsumerRecord, TopicPartition

from billing_runtime.messaging.batch_order import BatchBefore, BatchBeforeNotApplied
from billing_runtime.messaging.consumer import Handler, IdempotentConsumer, Sources, event_keys, sources
from billing_runtime.messaging.dead_letters import Delivered

log = logging.getLogger(__name__)


class OffsetKeeper(Protocol):
    """What the pipeline uses of `AIOKafkaConsumer`."""

    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...


def _offsets(deliveries: Sequence[Delivered]) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int], Sources]:
    """Per partition, the batch's first offset and the offset after its last; and the batch's
    `sources`, as a batch from the broker holds them (each partition's messages in one run:
    were it not so, the inbox would only remember some ids under another partition, and look
    for them there)."""
    bounds: dict[tuple[str, int], list[int]] = {}
    starts: list[int] = []
    for index, d in enumerate(deliveries):
        seen = bounds.get((d.topic, d.partition))
        if seen is None:
            bounds[(d.topic, d.partition)] = [d.offset, d.offset]
            starts.append(index)
        elif d.offset < seen[0]:
            seen[0] = d.offset
        elif d.offset > seen[1]:
            seen[1] = d.offset
    ends = [*starts[1:], len(deliveries)]
    return ({TopicPartition(*p): low for p, (low, _) in bounds.items()},
            {TopicPartition(*p): high + 1 for p, (_, high) in bounds.items()},
            [(source, end - start) for source, start, end in zip(bounds, starts, ends, strict=True)])


class BatchPipeline:
    IN_FLIGHT = 2
    """Batches handed to transactions and not yet committed: one applying, one waiting for it."""

    def __init__(self, consumer: IdempotentConsumer, handler: Handler) -> None:
        self.consumer = consumer
        self.handler = handler
        self._in_flight: deque[tuple[asyncio.Task[bool], dict[TopicPartition, int], BatchBefore]] = deque()
        self._closed = False

    async def submit(self, records: Sequence[ConsumerRecord], kafka: OffsetKeeper) -> None:
        """Read the batch (while the batches before are applied), then hand it to a transaction
        that applies it after them; returns without waiting for it. Once closed, it takes
        nothing: the records stay uncommitted and come again to the partition's next owner."""
        if self._closed:
            return
        deliveries = records  # aiokafka's records are deliveries as they are: no copy per message
        first, after, runs = _offsets(deliveries)
        try:
            readable = await self.consumer.read_all(deliveries)
        except Exception:
            await self._start_again(kafka, first)  # a dead letter could not be sent: it all comes again
            raise
        while self._in_flight and (len(self._in_flight) >= self.IN_FLIGHT or self._in_flight[0][0].done()):
            task = self._in_flight[0][0]
            await asyncio.wait([task])
            if task.cancelled() or not task.result():
                await self._start_again(kafka, first)
                log.warning("%s: dropped a batch read behind a failed one; it comes again", self.consumer.name)
                return
            self._in_flight.popleft()
        if self._closed:
            return  # closed while this batch waited for a slot: it is left for the next owner too
        before = self._in_flight[-1][2] if self._in_flight else None
        keys = event_keys(readable)  # once for the batch: for the next one, and for the inbox
        if len(readable) != len(deliveries):  # some were dead-lettered: the runs of the others
            runs = sources(readable)
        task = asyncio.create_task(self._apply_and_commit(readable, keys, runs, after, kafka, before))
        self._in_flight.append((task, first, BatchBefore(frozenset(keys), task)))

    async def drain(self) -> None:
        """Wait for the batches in flight (their failures are logged, not raised)."""
        if self._in_flight:
            await asyncio.wait([task for task, _, _ in self._in_flight])

    async def close(self, timeout: float) -> None:
        """Take no more batches, and give those in flight up to `timeout` seconds to commit (a
        batch still running then is left to its transaction: at worst it comes again)."""
        self._closed = True
        if self._in_flight:
            await asyncio.wait([task for task, _, _ in self._in_flight], timeout=timeout)

    async def _apply_and_commit(
        self, readable, keys: list[str], runs: Sources, after: dict[TopicPartition, int], kafka: OffsetKeeper,
        before: BatchBefore | None,
    ) -> bool:
        """Whether the batch's transaction committed."""
        try:
            await self.consumer.apply(readable, self.handler, before, keys, runs)
        except BatchBeforeNotApplied:
            return False  # the failed batch before rewound for both
        except Exception:  # noqa: BLE001 - it is not lost: it comes again
            log.exception("%s: a batch failed; its messages come again", self.consumer.name)
            # At once: there may be no next batch to notice. Every batch in flight is behind
            # this one (or is it), so the earliest offsets among them are where to go back to.
            _rewind(kafka, _earliest(first for task, first, _ in self._in_flight if not _committed(task)))
            return False
        try:
            await kafka.commit(after)
        except Exception as error:  # noqa: BLE001 - the effects are committed: at worst they come again, and are dropped
            log.warning("%s: offsets not committed (%s); a later commit or a redelivery covers them", self.consumer.name, error)
        return True

    async def _start_again(self, kafka: OffsetKeeper, first: dict[TopicPartition, int]) -> None:
        """After a failure: let the batches in flight end (behind a failed one they change
        nothing), then go back to the earliest offset not committed of every partition."""
        await self.drain()
        _rewind(kafka, _earliest([*(f for task, f, _ in self._in_flight if not _committed(task)), first]))
        self._in_flight.clear()


def _committed(task: asyncio.Task[bool]) -> bool:
    return task.done() and not task.cancelled() and task.result()


def _earliest(offsets) -> dict[TopicPartition, int]:
    earliest: dict[TopicPartition, int] = {}
    for batch in offsets:
        for partition, offset in batch.items():
            earliest[partition] = min(earliest.get(partition, offset), offset)
    return earliest


def _rewind(kafka: OffsetKeeper, offsets: dict[TopicPartition, int]) -> None:
    for partition, offset in offsets.items():
        try:
            kafka.seek(partition, offset)
        except Exception as error:  # noqa: BLE001 - not ours any more: its new owner reads from the committed offset
            log.info("not rewinding %s (%s)", partition, error)
