"""The compiled unpacking of fetched Kafka records gives what aiokafka's own gives: the same
`ConsumerRecord`s, the same `next_fetch_offset` at every step, the same errors, and it leaves to
aiokafka every kind of data it does not take. Compared on record batches built by aiokafka's own
builder, at the byte level (no broker: the fetcher hands both the bytes a fetch brought)."""

import gc
import random
import tracemalloc

import pytest
from aiokafka.consumer import fetcher
from aiokafka.consumer.fetcher import READ_COMMITTED, READ_UNCOMMITTED
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.record.util import calc_crc32c
from aiokafka.structs import TopicPartition

from billing_runtime.messaging import record_unpacking
from billing_runtime.messaging.record_unpacking import FetchedBytes, UnpackedPartitionRecords

pytestmark = pytest.mark.skipif(not record_unpacking.unpacks_compiled(), reason="the compiled unpacking is not built")
PartitionRecords = UnpackedPartitionRecords.__bases__[0]
"""aiokafka's own, whatever the fetcher's module holds now (a service started in this process installs
the compiled one there, and a name imported from it after that would be ours)."""
TP = TopicPartition("usage.recorded", 7)
GZIP = 1


def batch(base_offset: int, records: list[tuple], compression: int = 0, log_append_time: bool = False,
          control: bool = False, timestamp: int = 1_796_000_000_000) -> bytes:
    """One record batch, as a producer writes it and the broker stores it (its base offset set):
    `records` of (offset delta, key, value, headers)."""
    builder = DefaultRecordBatchBuilder(2, compression, 0, -1, -1, -1, 1 << 24)
    for n, (delta, key, value, headers) in enumerate(records):
        builder.append(delta, timestamp + 7 * n, key, value, headers)
    data = bytearray(builder.build())
    data[0:8] = base_offset.to_bytes(8, "big")
    if log_append_time or control:
        data[22] |= (0x08 if log_append_time else 0) | (0x20 if control else 0)
        data[17:21] = calc_crc32c(bytes(data[21:])).to_bytes(4, "big")
    return bytes(data)


def random_records(rng: random.Random, count: int, gaps: bool = False) -> list[tuple]:
    records, delta = [], 0
    for _ in range(count):
        key = rng.choice([None, b"", rng.randbytes(rng.randint(1, 40))])
        value = rng.choice([None, b"", rng.randbytes(rng.randint(1, 2_000)), b'{"quantity": "1.5"}' * rng.randint(1, 30)])
        headers = [(rng.choice(["traceparent", "ключ", "h", ""]), rng.choice([None, b"", rng.randbytes(20)]))
                   for _ in range(rng.choice([0, 0, 1, 3]))]
        records.append((delta, key, value, headers))
        delta += rng.randint(1, 3) if gaps else 1  # compaction leaves gaps
    return records


def fetched(rng: random.Random, batches: int = 5, gaps: bool = False) -> bytes:
    data, offset = b"", 1_000
    for _ in range(batches):
        records = random_records(rng, rng.randint(1, 60), gaps)
        data += batch(offset, records, log_append_time=rng.random() < 0.2)
        offset += records[-1][0] + 1 + (rng.randint(0, 5) if gaps else 0)
    return data


def both(data: bytes, fetch_offset: int = 0, check_crcs: bool = True, aborted=(), isolation=READ_UNCOMMITTED):
    """aiokafka's `PartitionRecords` and the compiled one, on the same fetched data."""
    ours = UnpackedPartitionRecords(TP, FetchedBytes(data), list(aborted), fetch_offset, None, None, check_crcs, isolation)
    theirs = PartitionRecords(TP, MemoryRecords(data), list(aborted), fetch_offset, None, None, check_crcs, isolation)
    return theirs, ours


def steps(records: PartitionRecords) -> list:
    """Each record with the `next_fetch_offset` after it, then how it ended and the final offset.
    After an error, a second read gives nothing more, as aiokafka's generator has ended."""
    seen = []
    try:
        for record in records:
            seen.append((record, records.next_fetch_offset))
    except (CorruptRecordException, UnicodeDecodeError) as error:  # aiokafka's, for a header name that is not UTF-8
        seen.append(("corrupt", type(error), records.next_fetch_offset))
        seen.append(("then", list(records)))
    seen.append(("end", records.next_fetch_offset))
    return seen


@pytest.mark.parametrize("seed", range(40))
def test_the_same_records_and_offsets_as_aiokafka(seed):
    rng = random.Random(seed)
    data = fetched(rng, rng.randint(1, 8), gaps=seed % 2 == 1)
    if seed % 3 == 0:  # the fetch's last batch cut short, as a fetch's size leaves it
        data += batch(99_999, random_records(rng, 10))[: rng.randint(1, 200)]
    first = int.from_bytes(data[0:8], "big")
    fetch_offset = first + rng.randint(0, 30) if seed % 4 == 0 else first  # a fetch from inside a batch
    theirs, ours = both(data, fetch_offset)
    assert ours._compiled is not None
    expected = steps(theirs)
    assert steps(ours) == expected
    assert len(expected) > 1


def test_one_record_at_a_time_as_getone_takes_them():
    theirs, ours = both(fetched(random.Random(7)), 0)
    while True:
        mine, aiokafkas = next(ours, None), next(theirs, None)
        assert mine == aiokafkas
        assert ours.next_fetch_offset == theirs.next_fetch_offset
        if mine is None:
            break


def test_the_records_are_aiokafkas_consumer_records():
    theirs, ours = both(batch(42, [(0, b"k", b"v", [("traceparent", b"00-ab"), ("none", None)])]))
    record = next(iter(ours))
    assert type(record) is type(next(iter(theirs)))
    assert (record.topic, record.partition, record.offset, record.key, record.value) == ("usage.recorded", 7, 42, b"k", b"v")
    assert (record.serialized_key_size, record.serialized_value_size, record.checksum) == (1, 1, None)
    assert record.headers == (("traceparent", b"00-ab"), ("none", None))
    assert record.timestamp == 1_796_000_000_000 and record.timestamp_type == 0


def test_log_append_time_gives_every_record_the_brokers_time():
    theirs, ours = both(batch(0, random_records(random.Random(1), 5), log_append_time=True))
    records = list(ours)
    assert {r.timestamp_type for r in records} == {1}
    assert len({r.timestamp for r in records}) == 1
    assert records == list(theirs)


@pytest.mark.parametrize("kind", ["compressed", "control", "aborted transactions", "bad crc", "legacy"])
def test_data_it_does_not_take_is_left_to_aiokafka(kind):
    rng = random.Random(3)
    plain = batch(10, random_records(rng, 20))
    aborted, isolation = (), READ_UNCOMMITTED
    if kind == "compressed":
        data = plain + batch(30, random_records(rng, 20), compression=GZIP)
    elif kind == "control":
        data = plain + batch(30, [(0, b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00", [])], control=True) + batch(31, random_records(rng, 3))
    elif kind == "aborted transactions":
        data, aborted, isolation = plain, [(99, 0)], READ_COMMITTED
    elif kind == "bad crc":
        data = bytearray(plain)
        data[-5] ^= 0xFF
        data = bytes(data)
    else:  # a batch of the format before record batches (magic 1)
        data = bytearray(plain)
        data[16] = 1
        data = bytes(data)
    theirs, ours = both(data, aborted=aborted, isolation=isolation)
    assert ours._compiled is None
    assert steps(ours) == steps(theirs)


def test_a_corrupt_record_raises_as_aiokafka_does():
    """Without CRC checks (the consumer's choice), a record that does not add up is found while
    reading it, after the records before it were given."""
    data = bytearray(batch(0, random_records(random.Random(5), 10)))
    data[57:61] = (11).to_bytes(4, "big")  # one record more than the batch holds
    theirs, ours = both(bytes(data), check_crcs=False)
    assert ours._compiled is not None
    expected = steps(theirs)
    assert expected[-3][:2] == ("corrupt", CorruptRecordException)
    assert steps(ours) == expected


@pytest.mark.parametrize("seed", range(100))
def test_damaged_bytes_give_the_same_records_then_the_same_error(seed):
    rng = random.Random(seed)
    data = bytearray(fetched(rng, 2))
    for _ in range(rng.randint(1, 4)):  # in the records, past the first batch's header
        data[rng.randrange(61, len(data))] = rng.randrange(256)
    theirs, ours = both(bytes(data), check_crcs=False)
    assert ours._compiled is not None  # no seed here damages a later batch's header (which would be aiokafka's to read)
    assert steps(ours) == steps(theirs)


@pytest.fixture
def aiokafkas_own(monkeypatch):
    """aiokafka's own unpacking to start from (a service started in this process may have installed
    the compiled one), and whatever was there put back afterwards."""
    monkeypatch.setattr(fetcher, "PartitionRecords", fetcher.PartitionRecords)
    monkeypatch.setattr(fetcher, "MemoryRecords", fetcher.MemoryRecords)
    record_unpacking.uninstall()


def test_install_and_uninstall(aiokafkas_own):
    assert record_unpacking.install()
    assert fetcher.PartitionRecords is UnpackedPartitionRecords and fetcher.MemoryRecords is FetchedBytes
    record_unpacking.uninstall()
    assert fetcher.PartitionRecords is PartitionRecords and fetcher.MemoryRecords is MemoryRecords


def test_the_operator_can_leave_it_to_aiokafka(aiokafkas_own, monkeypatch):
    monkeypatch.setenv("KAFKA_RECORDS", "python")
    assert not record_unpacking.install()
    assert fetcher.PartitionRecords is PartitionRecords and fetcher.MemoryRecords is MemoryRecords


def test_nothing_is_left_behind():
    data = fetched(random.Random(11), 6)
    for _ in range(20):
        list(both(data)[1])
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            list(both(data)[1])
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 64 * 1024
