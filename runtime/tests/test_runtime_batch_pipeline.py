"""The batch pipeline reads the next batch while the previous one is applied, and still applies
batches one at a time in order, commits each batch's own offsets only after its transaction, and
after a failure applies and commits nothing behind it."""

import asyncio
from dataclasses import dataclass

import pytest
from aiokafka import TopicPartition

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
    """Stands in for `IdempotentConsumer`: notes what it reads and applies, and can be held or failed."""

    name = "tests.pipeline"

    def __init__(self, log: list) -> None:
        self.log = log
        self.hold: dict[int, asyncio.Event] = {}
        self.failing: set[int] = set()

    async def read_all(self, deliveries):
        self.log.append(("read", deliveries[0].offset))
        await asyncio.sleep(0)
        return [(d, d.offset) for d in deliveries]

    async def apply(self, readable, handler):
        first = readable[0][1]
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
def consumer(log):
    return Consumer(log)


async def test_the_next_batch_is_read_while_the_one_before_is_applied(log, consumer):
    pipeline, kafka = BatchPipeline(consumer, handler=None), Kafka(log)
    consumer.hold[0] = asyncio.Event()
    await pipeline.submit(batch((0, 0), (0, 1)), kafka)
    await asyncio.sleep(0)
    reading = asyncio.create_task(pipeline.submit(batch((0, 2)), kafka))
    await asyncio.sleep(0.01)
    assert ("read", 2) in log and ("applied", 0) not in log  # read while batch 0 is still being applied
    assert not [entry for entry in log if entry[0] == "commit"]
    consumer.hold[0].set()
    await reading
    await pipeline.drain()
    assert [e for e in log if e[0] in ("applied", "commit", "apply")] == [
        ("apply", 0), ("applied", 0), ("commit", {P0: 2}), ("apply", 2), ("applied", 2), ("commit", {P0: 3})]


async def test_each_batch_commits_its_own_offsets_per_partition_after_its_transaction(log, consumer):
    pipeline, kafka = BatchPipeline(consumer, handler=None), Kafka(log)
    await pipeline.submit(batch((0, 10), (1, 4), (0, 11)), kafka)
    await pipeline.submit(batch((1, 5)), kafka)
    await pipeline.drain()
    commits = [e for e in log if e[0] in ("applied", "commit")]
    assert commits == [("applied", 10), ("commit", {P0: 12, P1: 5}), ("applied", 5), ("commit", {P1: 6})]


async def test_behind_a_failed_batch_nothing_is_applied_or_committed_and_all_comes_again(log, consumer):
    pipeline, kafka = BatchPipeline(consumer, handler=None), Kafka(log)
    consumer.failing.add(10)
    await pipeline.submit(batch((0, 10), (0, 11)), kafka)
    await pipeline.submit(batch((0, 12), (1, 7)), kafka)
    await pipeline.drain()
    assert ("apply", 12) not in log and not [e for e in log if e[0] == "commit"]
    seeks = {(e[1], e[2]) for e in log if e[0] == "seek"}
    # The failed batch's partition goes back to its first offset, the other to the dropped batch's.
    assert seeks == {(P0, 10), (P1, 7)}
    consumer.failing.clear()  # the database is back
    await pipeline.submit(batch((0, 10), (0, 11)), kafka)  # as the rewind delivers them again
    await pipeline.submit(batch((0, 12), (1, 7)), kafka)
    await pipeline.drain()
    assert [e for e in log if e[0] == "commit"] == [("commit", {P0: 12}), ("commit", {P0: 13, P1: 8})]


async def test_a_batch_that_cannot_be_read_comes_again_and_the_one_before_still_commits(log, consumer):
    pipeline, kafka = BatchPipeline(consumer, handler=None), Kafka(log)
    await pipeline.submit(batch((0, 10)), kafka)

    async def broker_away(deliveries):
        raise ConnectionError("no dead-letter topic to write to")

    consumer.read_all = broker_away
    with pytest.raises(ConnectionError):
        await pipeline.submit(batch((0, 11), (1, 3)), kafka)
    await pipeline.drain()
    assert {(e[1], e[2]) for e in log if e[0] == "seek"} == {(P0, 11), (P1, 3)}
    assert [e for e in log if e[0] == "commit"] == [("commit", {P0: 11})]
