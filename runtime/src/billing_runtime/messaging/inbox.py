"""The idempotent consumer's memory: which events already had their effect."""

import logging
from binascii import unhexlify
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence, Set
from datetime import datetime
from uuid import UUID

from psycopg.errors import UniqueViolation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from billing_runtime.array_literals import text_array
from billing_runtime.database import delete_in_chunks

# One statement whatever the batch size: the ids go as one array literal (one text parameter),
# so neither SQLAlchemy nor psycopg builds a VALUES list of thousands of rows, nor adapts
# thousands of UUIDs one by one. It answers with the ids that were already there (a few), not
# with the thousands just recorded.
_RECORD = text("""
WITH given AS (SELECT unnest(CAST(CAST(:event_ids AS text) AS uuid[])) AS event_id),
     recorded AS (INSERT INTO inbox (consumer, event_id) SELECT :consumer, event_id FROM given
                  ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id)
SELECT CAST(event_id AS text) FROM (SELECT event_id FROM given EXCEPT SELECT event_id FROM recorded) AS seen
""")

log = logging.getLogger(__name__)

event_key: Callable[[UUID | str], str] = str
"""An event id as the inbox compares it: the UUID's canonical text (`str(uuid)`). Readers that
keep ids as text keep only that form (the usage fast path does), and `str` of a text is itself:
`str` it is, so that mapping it over a batch's ids runs in C, not a Python call per id."""


async def first_deliveries(
    transaction: AsyncConnection | AsyncSession, consumer: str, event_ids: Iterable[UUID | str]
) -> set[str]:
    """Record the events in the caller's transaction and return the keys (`event_key`) of those
    never seen before.

    The effect of an event must be written in the same transaction, and only for the ids
    returned here: a redelivered event then finds its id taken and has no second effect,
    and a rolled-back effect leaves its id free for the next delivery.
    """
    ids = list(dict.fromkeys(map(event_key, event_ids)))
    if not ids:
        return set()
    result = await transaction.execute(_RECORD, {"consumer": consumer, "event_ids": text_array(ids)})
    return set(ids).difference(result.scalars())


class Inbox:
    """One consumer's inbox, for batches of thousands: `first_deliveries` records a batch by COPY
    when it can, several times cheaper per id than the INSERT that looks for each id first.

    A COPY fails whole on one id already there. So the ids this process saw committed lately
    (`remember`), which a retrying producer's copies nearly always are, are dropped first, as
    the duplicates they are; the others are copied in a savepoint. If the COPY meets an id
    anyway (a copy of an older event, one another process recorded, a batch read again after a
    rebalance), it is undone to the savepoint, the ids already recorded are found by one look-up
    of the whole batch and dropped, and the rest is copied again; only if that meets one too
    (recorded meanwhile by another process) is the batch recorded the careful way. The inbox's
    unique key decides either way: the memory only saves asking.
    """

    COPY_FROM = 100
    """Fewer ids than this go the careful way at once: it costs little, and it logs no conflict."""

    def __init__(self, consumer: str, remembered: int = 200_000) -> None:
        self.consumer = consumer
        self.remembered = remembered
        # Per source (a topic's partition), two generations, the older dropped whole when the
        # newer is full: forgetting id by id (an ordered dict's oldest first) cost 3% of the
        # consumer. Per source, because a producer's copy comes on its original's partition, a
        # few offsets later, but a batch can hold none of that partition's messages for a while:
        # one memory for all, sized by count, forgot a partition's ids after three batches of
        # others (in the bench, one or two COPYs a run met a copy of such an id).
        self._memory: dict[Hashable, tuple[set[str], set[str]]] = {}
        # A row of COPY's binary format (see `_binary_rows`): its field count (2), the id's length
        # (16) and bytes (zeros here), the consumer's name's length and bytes.
        name = consumer.encode()
        self._row = b"\x00\x02" + (16).to_bytes(4, "big") + bytes(16) + len(name).to_bytes(4, "big") + name

    def remember(self, keys: Sequence[str], sources: Iterable[tuple[Hashable, int]] | None = None) -> None:
        """Keys (`event_key`) of events whose transaction committed (their ids are recorded:
        fresh ones by it, the others before). Never call it before the commit: an id
        remembered but not recorded would drop that event's every delivery.

        `sources`: where the keys came from, in their order, as runs of (source, how many); a
        source is a topic's partition, say (default: one source for all). Each source remembers
        its last `remembered` / 2 / sources to `remembered` / sources ids, as many sources as it
        has seen then (so about `remembered` in all; a partition no longer read keeps what it had)."""
        for source, run in _runs(keys, sources if sources is not None else ((None, len(keys)),)):
            memory = self._memory.get(source)
            if memory is None:
                memory = self._memory[source] = (set(), set())
            recent = memory[0]
            recent.update(run)
            if len(recent) >= self.remembered // 2 // len(self._memory):
                self._memory[source] = (set(), recent)

    def _drop_remembered(self, unknown: dict[str, None], keys: Sequence[str],
                         sources: Iterable[tuple[Hashable, int]] | None) -> None:
        """Delete the remembered keys from `unknown` (the batch's `keys`, deduplicated). With the
        keys' `sources` (as `remember` takes them), each run of keys is looked up in its source's
        memory alone: two set look-ups a key, in C loops. Without, every source's memory is
        intersected with the batch (each loop over the smaller side)."""
        memory = self._memory
        if sources is None:
            for generations in memory.values():
                for remembered in generations:
                    if remembered and (duplicates := unknown.keys() & remembered):
                        for key in duplicates:
                            del unknown[key]
            return
        for source, run in _runs(keys, sources):
            for remembered in memory.get(source, ()):
                if remembered and (duplicates := remembered.intersection(run)):
                    for key in duplicates:
                        unknown.pop(key, None)  # in both generations, or twice in the run

    async def first_deliveries(self, transaction: AsyncConnection, keys: Sequence[str],
                               sources: Iterable[tuple[Hashable, int]] | None = None,
                               leave: Iterable[str] = ()) -> Set[str]:
        """As the module's `first_deliveries`, for this consumer, given the events' keys (`event_key`
        of their ids, as the consumer has them already) and, if known, where they came from
        (`sources`, as `remember` takes them). The keys in `leave` are neither recorded nor
        answered (the caller records them later: see `IdempotentConsumer._apply`).

        Each pass over a batch's keys here is made by C loops, not a Python step per key: the
        keys deduplicated in order (`dict.fromkeys`), the few remembered ones found by set
        intersections and deleted, and the rest kept in the batch's order, which is the inbox
        index's order for time-ordered ids (a set's order would split its pages at random)."""
        unknown = dict.fromkeys(keys)
        for key in leave:
            unknown.pop(key, None)
        self._drop_remembered(unknown, keys, sources)
        if len(unknown) < self.COPY_FROM:
            return await first_deliveries(transaction, self.consumer, unknown) if unknown else set()
        ids = _uuid_bytes(list(unknown))
        if ids is None:  # not all canonical UUIDs: no event id is, in practice (see `event_key`)
            return await first_deliveries(transaction, self.consumer, unknown)
        driver = (await transaction.get_raw_connection()).driver_connection
        async with driver.cursor() as cursor:
            await cursor.execute("SAVEPOINT inbox_copy")
            if not await self._copied(cursor, ids):
                # Ids recorded before, beyond this process's memory: all of them, found at once.
                # Looked up by the id's bytes (the positions come back): parsing 40,000 UUIDs'
                # text cost PostgreSQL more than the look-up.
                await cursor.execute(_RECORDED_AMONG, {"ids": ids, "consumer": self.consumer})
                listed, recorded = list(unknown), await cursor.fetchall()
                for (position,) in recorded:
                    del unknown[listed[position]]
                log.info("%s: %d of a batch of %d ids were recorded before; the rest is copied again",
                         self.consumer, len(recorded), len(listed))
                if unknown and not await self._copied(cursor, _uuid_bytes(list(unknown))):
                    return await first_deliveries(transaction, self.consumer, unknown)
            await cursor.execute("RELEASE SAVEPOINT inbox_copy")
        return unknown.keys()  # a set's reading of them, without building one

    async def _copied(self, cursor, ids: bytes) -> bool:
        """Whether the ids (`_uuid_bytes`) were copied in; if one was there already, nothing
        was (undone to the savepoint `inbox_copy`)."""
        try:
            async with cursor.copy("COPY inbox (event_id, consumer) FROM STDIN (FORMAT BINARY)") as copy:
                await copy.write(self._binary_rows(ids))
        except UniqueViolation:
            await cursor.execute("ROLLBACK TO SAVEPOINT inbox_copy")
            return False
        return True

    def _binary_rows(self, ids: bytes) -> bytes:
        """The rows (each id of `_uuid_bytes`, this consumer) in COPY's binary format.

        PostgreSQL reads a UUID's text two digits at a time, each with `strtoul`, after splitting
        the text format's lines and fields; binary rows give it the 16 bytes. Counting the bench's
        usage in batches of 40,000 on a real PostgreSQL (three interleaved pairs), PostgreSQL took
        2.95-3.20 CPU µs an event with text rows and 2.16-2.66 with these. They are made for the
        whole batch at once, about 0.11 µs an id with `_uuid_bytes` (a Python step per id would
        cost more than PostgreSQL saves): each of the 16 bytes set across every row with one slice
        assignment."""
        row = self._row
        rows = bytearray(row * (len(ids) // 16))
        for byte in range(16):
            rows[_ID_START + byte::len(row)] = ids[byte::16]
        return _BINARY_COPY_HEADER + rows + _BINARY_COPY_TRAILER


def _runs(keys: Sequence[str], sources: Iterable[tuple[Hashable, int]]) -> Iterator[tuple[Hashable, Sequence[str]]]:
    """Each source with its run of `keys` (`sources` as `Inbox.remember` takes them)."""
    start = 0
    for source, count in sources:
        yield source, keys[start:start + count]
        start += count


def _uuid_bytes(keys: list[str]) -> bytes | None:
    """The keys' UUIDs, 16 bytes each, in order, or None unless every key is a UUID's canonical
    text (36 characters, hex digits with dashes after the 8th, 12th, 16th and 20th): the keys'
    digits in one `unhexlify`. The checks come first, because a key of another shape would shift
    every id after it."""
    count = len(keys)
    try:  # the keys, one a line: then every key's dashes and its line end have known places
        text = "\n".join(keys).encode("ascii")
    except UnicodeEncodeError:
        return None
    # Line ends in their places make every key but the last 36 characters long (a last one
    # longer would put a character in the next place); dashes in theirs, four in each; then
    # 32 digits a key are left only if no key has a dash or a line end elsewhere, nor is short.
    if text[36::37] != b"\n" * (count - 1) or any(text[place::37] != b"-" * count for place in (8, 13, 18, 23)):
        return None
    digits = text.translate(None, b"-\n")
    if len(digits) != 32 * count:
        return None
    try:
        return unhexlify(digits)
    except ValueError:  # a character that is not a hex digit
        return None


_RECORDED_AMONG = """
WITH given AS (SELECT CAST(%(ids)s AS bytea) AS ids),
     listed AS (SELECT g, CAST(encode(substring(given.ids FROM g * 16 + 1 FOR 16), 'hex') AS uuid) AS event_id
                FROM given, generate_series(0, length(given.ids) / 16 - 1) AS g)
SELECT listed.g FROM listed JOIN (
    SELECT event_id FROM inbox WHERE consumer = %(consumer)s AND event_id = ANY(ARRAY(SELECT event_id FROM listed))
) AS recorded USING (event_id)
"""
"""The positions (from 0) of the ids in `ids` (`_uuid_bytes`) the consumer recorded. The ids go
to the index as one array (`= ANY`: an index-only scan whatever the table's statistics say); as a
join or `EXISTS` per id, the planner chose a scan of the whole inbox when few rows had the
consumer's name, and took 2-6 times as long on 40,000 ids."""


_BINARY_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(4) + bytes(4)
"""The signature, then no flags and no header extension."""
_BINARY_COPY_TRAILER = b"\xff\xff"
"""A field count of -1: no more rows."""
_ID_START = 6
"""Where a row's id begins, after its field count and the id's length."""


_FORGET = text("""
DELETE FROM inbox WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM inbox WHERE consumer = :consumer AND processed_at < :before LIMIT :chunk))
""")


async def forget_processed_before(engine: AsyncEngine, consumer: str, before: datetime, chunk: int = 10_000) -> int:
    """Delete the consumer's inbox rows of events processed before `before`; how many.

    After this, a copy of such an event would have its effect again: call it only for what is
    past the consumer's dedup window, and refuse events that could be copies of forgotten ones.
    Deletes `chunk` rows per transaction, so the consumer's inserts never wait long behind it.
    """
    return await delete_in_chunks(engine, _FORGET, {"consumer": consumer, "before": before}, chunk)
