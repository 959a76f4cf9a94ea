"""Large Kafka responses read without growing one buffer, in every consumer of the kit.

aiokafka reads each response with asyncio's `StreamReader.readexactly`: every chunk the socket
gives is appended to one `bytearray`, which grows by an eighth at a time (glibc copies it to a new
place when it cannot grow where it is), and is copied once more into the `bytes` handed back; the
reading coroutine is woken at every chunk, and the transport paused and resumed past 128 KiB. A
batch consumer's fetch response is up to 24 MiB (`FETCH_MOST_BYTES`). In a `perf` profile of a
consumer in `make bench` (call graphs), `memmove` was 7.2% of its CPU: 1.7% the buffer's growth
(`PyByteArray_Resize` -> `_int_realloc`), 1.5% the copy into `bytes`.

`ChunkedReader.readexactly` of 1 MiB or more keeps the chunks as they come and joins them once,
woken once when they are all there; smaller reads (each response's size, small responses) are
asyncio's own. `install()` gives every connection aiokafka opens in this process that reader (by
its class: aiokafka makes a plain `StreamReader`, and `ChunkedReader` adds no state but class
defaults). It leans on `StreamReader`'s private attributes (`_buffer`, `_eof`, `_exception`,
`_waiter`, `_wait_for_data`, `_maybe_resume_transport`): Python is pinned (3.11), and the tests
read through it frames split every way against asyncio's own reader.
"""

import asyncio
import logging

from aiokafka.conn import AIOKafkaConnection

log = logging.getLogger(__name__)

LARGE = 1 << 20
"""Reads of at least this many bytes are gathered in chunks."""


class ChunkedReader(asyncio.StreamReader):
    """A `StreamReader` whose large `readexactly` gathers the chunks and joins them once."""

    _chunks: list[bytes] | None = None  # while a large read waits: what came since it began
    _have = 0
    _wanted = 0

    def feed_data(self, data: bytes) -> None:
        chunks = self._chunks
        if chunks is None:
            super().feed_data(data)
            return
        assert not self._eof, "feed_data after feed_eof"
        if data:
            chunks.append(data if type(data) is bytes else bytes(data))
            self._have += len(data)
            if self._have >= self._wanted:
                self._wakeup_waiter()

    async def readexactly(self, n: int) -> bytes:
        if n < LARGE or len(self._buffer) >= n or self._chunks is not None:
            return await super().readexactly(n)
        if self._exception is not None:
            raise self._exception
        chunks = self._chunks = [bytes(self._buffer)]
        self._buffer.clear()
        self._have, self._wanted = len(chunks[0]), n
        try:
            while self._have < n:
                if self._exception is not None:
                    raise self._exception
                if self._eof:
                    raise asyncio.IncompleteReadError(b"".join(chunks), n)
                await self._wait_for_data("readexactly")
        except BaseException:  # cancelled, or the connection failed: the bytes stay in the stream
            self._chunks = None
            self._buffer[:0] = b"".join(chunks)
            raise
        self._chunks = None
        if excess := self._have - n:  # the start of what follows: back in the buffer
            last = chunks[-1]
            chunks[-1] = last[:len(last) - excess]
            self._buffer[:0] = last[len(last) - excess:]
        self._maybe_resume_transport()
        return b"".join(chunks)


_READ = AIOKafkaConnection._read


async def _read(self_ref) -> None:
    """aiokafka's reading loop of a connection, with the connection's reader a `ChunkedReader`."""
    connection = self_ref()
    if connection is not None and type(connection._reader) is asyncio.StreamReader:
        connection._reader.__class__ = ChunkedReader
    del connection  # the loop holds the connection by a weak reference only, as aiokafka's does
    await _READ(self_ref)


def install() -> None:
    """Connections aiokafka opens in this process from now on read large responses in chunks."""
    AIOKafkaConnection._read = staticmethod(_read)
    log.info("large Kafka responses are read in chunks, joined once")


def uninstall() -> None:
    """aiokafka's reading as it is (for tests and comparisons)."""
    AIOKafkaConnection._read = staticmethod(_READ)
