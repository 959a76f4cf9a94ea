"""Fetched Kafka records unpacked in C (`_kafka_records.c`), in every consumer of the kit.

aiokafka unpacks a fetched partition's records in Python: for each, a generator step, a method
call and the dataclass `ConsumerRecord`'s `__init__` of eleven fields, and each batch's CRC32C in
software. Reading 40,000 of the bench's usage messages in record batches of up to 1 MiB, as a fetch
brings them, took it 1.6-1.7 µs a message (best of 15 rounds); the compiled unpacking makes the
same `ConsumerRecord`s in 0.73 (0.08 of it the CRC, by the processor's CRC32C instruction).

`install()` puts it in aiokafka's fetcher (in this process), which then keeps each partition's
fetched bytes (`FetchedBytes`: its `MemoryRecords`, with the bytes) and makes
`UnpackedPartitionRecords` instead of `PartitionRecords`. Those hand out the compiled iterator's
records, with aiokafka's `next_fetch_offset` at every step, whenever the data is plain: record
batches of the current format, uncompressed, no control batch, no aborted transaction to skip, no
deserializer, and (when the consumer checks CRCs, as ours do) every batch's CRC right. Anything
else is left to aiokafka's own unpacking, as before, which raises aiokafka's errors and skips what
aiokafka skips: a producer compressing its messages would only bring back aiokafka's pace.
`KAFKA_RECORDS=python` leaves it all to aiokafka (the operator's switch, read at `install`).

It leans on two names inside aiokafka's fetcher module (`MemoryRecords`, `PartitionRecords`) and on
`PartitionRecords`' attributes: aiokafka is pinned (locks/), and the tests compare both unpackings
record by record and offset by offset, so an upgrade that moves them fails there first.
"""

import logging
import os

from aiokafka.consumer import fetcher
from aiokafka.consumer.fetcher import PartitionRecords
from aiokafka.errors import CorruptRecordException
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import ConsumerRecord

log = logging.getLogger(__name__)

try:  # built by `make install` (runtime/build_compiled.py) where a C compiler is
    from billing_runtime.messaging import _kafka_records
except ImportError:  # pragma: no cover - a build without a compiler: aiokafka's own unpacking
    _kafka_records = None


class NotPlain(Exception):
    """Raised by the compiled unpacking for data it leaves to aiokafka."""


if _kafka_records is not None:
    _kafka_records.configure(ConsumerRecord, CorruptRecordException, NotPlain)


class FetchedBytes:
    """aiokafka's `MemoryRecords` for one partition's fetched data, with the data kept."""

    __slots__ = ("data", "_records")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._records = MemoryRecords(data)

    def has_next(self) -> bool:
        return self._records.has_next()

    def next_batch(self):
        return self._records.next_batch()

    def size_in_bytes(self) -> int:
        return self._records.size_in_bytes()


class UnpackedPartitionRecords(PartitionRecords):
    """aiokafka's `PartitionRecords`, whose records come from the compiled iterator when the data
    is plain (see the module's docstring)."""

    def __init__(self, tp, records, aborted_transactions, fetch_offset, key_deserializer, value_deserializer,
                 check_crcs, isolation_level) -> None:
        self._compiled = None
        super().__init__(tp, records, aborted_transactions, fetch_offset, key_deserializer, value_deserializer,
                         check_crcs, isolation_level)
        if (type(records) is not FetchedBytes or type(records.data) is not bytes or aborted_transactions
                or key_deserializer or value_deserializer):
            return
        try:
            self._compiled = _kafka_records.Records(records.data, tp.topic, tp.partition, fetch_offset, check_crcs)
        except NotPlain:
            return
        self._records_iterator = self._compiled

    # aiokafka's generator sets `next_fetch_offset` as it goes; the compiled iterator keeps its own.
    @property
    def next_fetch_offset(self) -> int:
        return self._next_fetch_offset if self._compiled is None else self._compiled.next_fetch_offset

    @next_fetch_offset.setter
    def next_fetch_offset(self, offset: int) -> None:
        self._next_fetch_offset = offset

    def __iter__(self):
        # The fetcher's `getall` loops over this: the compiled iterator's own `__next__`, with no
        # Python call a record (aiokafka's `__next__` only drops its iterator at the end).
        return self._compiled if self._compiled is not None else self


def switched_off() -> bool:
    """Whether the operator left the unpacking to aiokafka (`KAFKA_RECORDS=python`)."""
    return os.environ.get("KAFKA_RECORDS", "compiled") == "python"


def unpacks_compiled() -> bool:
    """Whether `install` puts the compiled unpacking in (it is built, and not switched off)."""
    return _kafka_records is not None and not switched_off()


def install() -> bool:
    """Have aiokafka's fetcher, in this process, unpack plain data with the compiled iterator;
    whether it does."""
    if not unpacks_compiled():
        if not switched_off():
            log.warning("the compiled Kafka record unpacking is not built (runtime/build_compiled.py): aiokafka unpacks")
        return False
    fetcher.MemoryRecords = FetchedBytes
    fetcher.PartitionRecords = UnpackedPartitionRecords
    log.info("fetched Kafka records are unpacked by the compiled unpacking")
    return True


def uninstall() -> None:
    """aiokafka's own unpacking again (for tests and comparisons)."""
    fetcher.MemoryRecords = MemoryRecords
    fetcher.PartitionRecords = PartitionRecords
