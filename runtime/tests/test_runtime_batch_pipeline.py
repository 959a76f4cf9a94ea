"""The batch pipeline reads the next batch and records it in the inbox while the previous one is
applied, and still applies batches one at a time in order, commits each batch's own offsets only
after its transaction, and after a failure applies and commits nothing behind it."""

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition

from billing_runtime.messaging.batch_order import BatchBeforeNotApplied
from billing_runtime.messaging.consumer import sources
from billing_runtime.messaging.pipeline import BatchPipeline

P0, P1 = TopicPartition("usage.recorded", 0), TopicPartition("usage.recorded", 1)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes = b"ba_1"
    value: bytes = b"{}"
    headers: tuple = ()


def batch(*offsets: tuple[int, int]) -> list[Record]:
    return [Record("usage.recorded", partition, offset) for partition, offset in offsets]


class Kafka:
    def __init__(self, log: list) -> None:
        self.log = log

    async def commit(self, offsets):
        self.log.append(("commit", dict(offsets)))

    def seek(self, partition, offset):
        self.log.append(("seek", partition, offset))


class Consumer:
    """Stands in for `IdempotentConsumer`: records a batch in the inbox, waits for the batch
    before as the real one does, applies it; can be held or failed."""

    name = "tests.pipeline"

    def __init__(self, log: list) -> None:
        self.log = log
        self.hold: dict[int, asyncio.Event] = {}
        self.failing: set[int] = set()
        self.unreadable: set[int] = set()  # offsets read_all dead-letters

    async def read_all(self, deliveries):
        self.log.append(("read", deliveries[0].offset))
        await asyncio.sleep(0)
        return [(d, SimpleNamespace(id=f"event-{d.offset}")) for d in deliveries if d.offset not in self.unreadable]

    async def apply(self, readable, handler, before=None, keys=None, runs=None):
        assert keys == [envelope.id for _, envelope in readable]  # the batch's keys, made once, in its order
        # and where they came from, from the pass over the offsets: every partition, in order (in
        # one run each, as a broker's batch holds them; this test's batches need not)
        assert [s for s, _ in runs] == list(dict.fromkeys(s for s, _ in sources(readable)))
        assert sum(n for _, n in runs) == len(readable)
        if len(runs) == len(sources(readable)):
            assert runs == sources(readable)
        self.log.append(("runs", runs))
        first = readable[0][0].offset
        self.log.append(("record", first))
        if before is not None:
            self.log.append(("recorded while applying", sorted(before.event_ids)))
        if before is not None and not await before.applied:
            raise BatchBeforeNotApplied()
        self.log.append(("apply", first))
        if first in self.hold:
            await self.hold[first].wait()
        if first in self.failing:
            raise ConnectionError("the database is away")
        self.log.append(("applied", first))


@pytest.fixture
def log():
    return []


@pytest.fixture
def pipeline(log):
    return BatchPipeline(Consumer(log), handler=None)


def only(log, *kinds):
    return [entry for entry in log if entry[0] in kinds]


async def test_the_next_batch_is_read_and_recorded_while_the_one_before_is_applied(log, pipeline):
    kafka = Kafka(log)
    pipeline.consumer.hold[0] = asyncio.Event()
    await pipeline.submit(batch((0, 0), (0, 1)), kafka)
    await pipeline.submit(batch((0, 2)), kafka)
    await asyncio.sleep(0.01)
    assert ("record", 2) in log and ("applied", 0) not in log  # recorded while batch 0 is still applied
    assert ("apply", 2) not in log and not only(log, "commit")  # but no effect before batch 0's
    # It is told which events the batch before has: their inbox rows are taken after it.
    assert ("recorded while applying", ["event-0", "event-1"]) in log
    pipeline.consumer.hold[0].set()
    await pipeline.drain()
    assert only(log, "apply", "applied", "commit") == [
        ("apply", 0), ("applied", 0), ("commit", {P0: 2}), ("apply", 2), ("applied", 2), ("commit", {P0: 3})]


async def test_no_more_than_two_batches_are_in_flight(log, pipeline):
    kafka = Kafka(log)
    pipeline.consumer.hold[0] = asyncio.Event()
    await pipeline.submit(batch((0, 0)), kafka)
    await pipeline.submit(batch((0, 1)), kafka)
    third = asyncio.create_task(pipeline.submit(batch((0, 2)), kafka))
    await asyncio.sleep(0.01)
    assert not third.done() and ("record", 2) not in log  # it waits for batch 0 to end
    pipeline.consumer.hold[0].set()
    await third
    await pipeline.drain()
    assert only(log, "commit") == [("commit", {P0: 1}), ("commit", {P0: 2}), ("commit", {P0: 3})]


async def test_each_batch_commits_its_own_offsets_per_partition_after_its_transaction(log, pipeline):
    kafka = Kafka(log)
    await pipeline.submit(batch((0, 10), (1, 4), (0, 11)), kafka)
    await pipeline.submit(batch((1, 5)), kafka)
    await pipeline.drain()
    assert only(log, "applied", "commit") == [("applied", 10), ("commit", {P0: 12, P1: 5}), ("applied", 5), ("commit", {P1: 6})]


async def test_a_batch_with_unreadable_messages_hands_on_where_its_readable_ones_came_from(log, pipeline):
    pipeline.consumer.unreadable.add(4)  # dead-lettered by read_all: neither a key nor in a run
    await pipeline.submit(batch((1, 4), (1, 5), (0, 10), (0, 11)), Kafka(log))
    await pipeline.drain()
    assert only(log, "runs") == [("runs", [(("usage.recorded", 1), 1), (("usage.recorded", 0), 2)])]
    assert only(log, "commit") == [("commit", {P1: 6, P0: 12})]


async def test_behind_a_failed_batch_nothing_is_applied_or_committed_and_all_comes_again(log, pipeline):
    kafka = Kafka(log)
    pipeline.consumer.failing.add(10)
    pipeline.consumer.hold[10] = asyncio.Event()
    await pipeline.submit(batch((0, 10), (0, 11)), kafka)
    await pipeline.submit(batch((0, 12), (1, 7)), kafka)  # recorded, waits for batch 10
    third = asyncio.create_task(pipeline.submit(batch((0, 13), (1, 8)), kafka))  # read meanwhile
    await asyncio.sleep(0.01)
    pipeline.consumer.hold[10].set()  # and batch 10 fails
    await third
    await pipeline.drain()
    assert ("apply", 12) not in log and ("record", 13) not in log and not only(log, "commit")
    # Every partition goes back to its earliest offset not committed.
    assert {(e[1], e[2]) for e in only(log, "seek")} == {(P0, 10), (P1, 7)}

    pipeline.consumer.failing.clear()  # the database is back; the messages come again
    pipeline.consumer.hold.clear()
    await pipeline.submit(batch((0, 10), (0, 11)), kafka)
    await pipeline.submit(batch((0, 12), (1, 7)), kafka)
    await pipeline.drain()
    assert only(log, "commit") == [("commit", {P0: 12}), ("commit", {P0: 13, P1: 8})]


async def test_a_batch_that_cannot_be_read_comes_again_and_the_one_before_still_commits(log, pipeline):
    kafka = Kafka(log)
    await pipeline.submit(batch((0, 10)), kafka)

    async def broker_away(deliveries):
        raise ConnectionError("no dead-letter topic to write to")

    pipeline.consumer.read_all = broker_away
    with pytest.raises(ConnectionError):
        await pipeline.submit(batch((0, 11), (1, 3)), kafka)
    assert {(e[1], e[2]) for e in only(log, "seek")} == {(P0, 11), (P1, 3)}
    assert only(log, "commit") == [("commit", {P0: 11})]


async def test_closing_lets_the_batches_in_flight_commit_and_takes_nothing_more(log, pipeline):
    kafka = Kafka(log)
    pipeline.consumer.hold[0] = asyncio.Event()
    await pipeline.submit(batch((0, 0)), kafka)
    await pipeline.submit(batch((0, 1)), kafka)
    closing = asyncio.create_task(pipeline.close(timeout=5))
    await asyncio.sleep(0.01)
    async with asyncio.timeout(1):  # it does not wait for a slot: it takes nothing
        await pipeline.submit(batch((0, 2)), kafka)  # fetched while stopping: left for the next owner
    assert not closing.done()  # it waits for the batches in flight
    pipeline.consumer.hold[0].set()
    await closing
    assert ("read", 2) not in log
    assert only(log, "commit") == [("commit", {P0: 1}), ("commit", {P0: 2})]


async def test_closing_waits_no_longer_than_its_timeout(log, pipeline):
    pipeline.consumer.hold[0] = asyncio.Event()  # never set: a transaction that hangs
    await pipeline.submit(batch((0, 0)), Kafka(log))
    async with asyncio.timeout(2):
        await pipeline.close(timeout=0.05)
    assert not only(log, "commit")
    pipeline.consumer.hold[0].set()
    await pipeline.drain()


async def test_a_batch_waiting_for_a_slot_when_closing_is_left_for_the_next_owner(log, pipeline):
    kafka = Kafka(log)
    pipeline.consumer.hold[0] = asyncio.Event()
    await pipeline.submit(batch((0, 0)), kafka)
    await pipeline.submit(batch((0, 1)), kafka)
    third = asyncio.create_task(pipeline.submit(batch((0, 2)), kafka))  # read, then waits for a slot
    await asyncio.sleep(0.01)
    closing = asyncio.create_task(pipeline.close(timeout=5))
    pipeline.consumer.hold[0].set()
    await asyncio.gather(third, closing)
    await pipeline.drain()
    assert ("record", 2) not in log
    assert only(log, "commit") == [("commit", {P0: 1}), ("commit", {P0: 2})]
