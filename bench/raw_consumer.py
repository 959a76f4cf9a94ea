"""L1, the baseline: a bare aiokafka consumer that reads every message and does nothing, in a
process of its own that imports nothing else.

Run in the bench's own process, it read slower: in seven interleaved pairs of processes on one
broker, a bare process was 1.07-1.40 times as fast (1.19 on average) as one that had imported
what the bench imports (the whole service), whose objects Python's garbage collector walks at
every full collection the million records read here set off again and again. Frozen out of the
collector's walks (`gc.freeze()`), the same imports cost nothing: the heap, not the import, was
the cost. A baseline slowed by the bench's baggage flattered L4/L1 by about a sixth.

    python -m bench.raw_consumer BOOTSTRAP TOPIC EVENTS BATCH   # prints {"seconds": ..., "cpu_seconds": ...}

BATCH is the most records a `getmany` call takes: the bench gives the invoicing consumer's batch
size (`USAGE_BATCH`), which this process does not import, to stay bare.
"""

import asyncio
import json
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer


async def raw_consume(bootstrap: str, topic: str, expected: int, batch: int, timeout: float = 600) -> tuple[float, float]:
    """Read `expected` messages of `topic` in a new group, up to `batch` a call. Returns (seconds
    from the first message to the last, CPU seconds of this process meanwhile)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-l1-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        seen, first, cpu_first = 0, None, 0.0
        deadline = time.monotonic() + timeout
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=batch)
            count = sum(len(records) for records in batches.values())
            if count and first is None:  # the clock starts at the first message
                first, cpu_first = time.monotonic(), time.process_time()
            seen += count
            if time.monotonic() > deadline:
                raise TimeoutError(f"L1 read {seen} of {expected} messages")
        return time.monotonic() - first, time.process_time() - cpu_first
    finally:
        await consumer.stop()


if __name__ == "__main__":
    bootstrap, topic, expected, batch = sys.argv[1:5]
    seconds, cpu_seconds = asyncio.run(raw_consume(bootstrap, topic, int(expected), int(batch)))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))
