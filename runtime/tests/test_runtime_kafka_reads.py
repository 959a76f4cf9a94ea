"""Large Kafka responses read in chunks: the same bytes as asyncio's reader, frame by frame,
however the socket splits them."""

import asyncio
import random
import struct

import pytest
from aiokafka.conn import AIOKafkaConnection
from billing_runtime.messaging import kafka_reads
from billing_runtime.messaging.kafka_reads import LARGE, ChunkedReader


class Transport:
    """Enough of a transport for a reader's flow control."""

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def frames(rng: random.Random) -> list[bytes]:
    sizes = [rng.choice([0, 7, 300, LARGE - 1, LARGE, LARGE + 12_345, 3 * LARGE]) for _ in range(12)]
    return [rng.randbytes(size) for size in sizes]


async def read_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    read = []
    for _ in range(count):
        (size,) = struct.unpack(">i", await reader.readexactly(4))
        read.append(await reader.readexactly(size))
    return read


async def fed(reader: asyncio.StreamReader, stream: bytes, rng: random.Random) -> None:
    reader.set_transport(Transport())
    place = 0
    while place < len(stream):
        step = rng.choice([1, 3, 4096, 65_536, 262_144, 1_500_000])
        reader.feed_data(stream[place:place + step])
        place += step
        await asyncio.sleep(0)  # the reading task runs between chunks, as it would
    reader.feed_eof()


@pytest.mark.parametrize("seed", range(6))
async def test_frames_split_every_way_read_the_same_as_asyncio_reads_them(seed):
    sent = frames(random.Random(seed))
    stream = b"".join(struct.pack(">i", len(frame)) + frame for frame in sent)
    for reader_class in (asyncio.StreamReader, ChunkedReader):
        reader = reader_class(limit=2**16)
        reading = asyncio.create_task(read_frames(reader, len(sent)))
        await fed(reader, stream, random.Random(seed))
        assert await reading == sent, reader_class.__name__
        assert await reader.read() == b""  # nothing left over, nothing lost


async def large_read_under_way(first: bytes, then: bytes) -> tuple[ChunkedReader, asyncio.Task]:
    """A reader given `first`, a read of `LARGE` bytes waiting on it, then `then` given."""
    reader = ChunkedReader()
    reader.feed_data(first)
    reading = asyncio.create_task(reader.readexactly(LARGE))
    await asyncio.sleep(0)
    reader.feed_data(then)
    return reader, reading


async def test_a_stream_ending_inside_a_large_frame_says_what_it_had():
    reader, reading = await large_read_under_way(b"x" * 1000, b"y" * 2000)
    reader.feed_eof()
    with pytest.raises(asyncio.IncompleteReadError) as raised:
        await reading
    assert raised.value.partial == b"x" * 1000 + b"y" * 2000 and raised.value.expected == LARGE


async def test_a_large_read_cancelled_leaves_its_bytes_in_the_stream():
    reader, reading = await large_read_under_way(b"a" * 10, b"b" * 20)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    reader.feed_data(b"c" * 30)
    assert await reader.readexactly(60) == b"a" * 10 + b"b" * 20 + b"c" * 30


async def test_a_large_read_is_woken_once_its_bytes_are_all_there():
    reader = ChunkedReader()
    reading = asyncio.create_task(reader.readexactly(LARGE))
    await asyncio.sleep(0)
    for _ in range(LARGE // 65_536 - 1):
        reader.feed_data(bytes(65_536))
        assert reader._waiter is not None  # still waiting: not woken for a chunk
    reader.feed_data(bytes(65_536 + 5))
    assert await reading == bytes(LARGE)
    assert await reader.readexactly(5) == bytes(5)


def test_install_puts_the_chunked_reading_loop_in_and_uninstall_takes_it_out():
    kafka_reads.install()
    try:
        assert AIOKafkaConnection._read is kafka_reads._read
    finally:
        kafka_reads.uninstall()
    assert AIOKafkaConnection._read is kafka_reads._READ
