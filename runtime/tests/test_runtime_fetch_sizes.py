"""A batch subscriber fetches a large batch at once, and no more than fits in glibc's heap: a fetch
above its largest heap block is mapped afresh from the kernel, and faulted in page by page, at
every fetch (see subscriptions.FETCH_MOST_BYTES and allocator)."""

from faststream.kafka import KafkaRouter

from billing_runtime.allocator import LARGEST_HEAP_BLOCK
from billing_runtime.messaging.subscriptions import FETCH_MOST_BYTES, EventSubscriptions


def _fetch_settings(max_records: int) -> dict[str, int]:
    router = KafkaRouter()
    events = EventSubscriptions(router, "invoicing", engine=None, dead_letters=None)

    @events.on("usage.recorded", batch=True, max_records=max_records)
    async def count_usage(envelopes, tx) -> None: ...

    (subscriber,) = router.subscribers
    return {name: subscriber._connection_args[name] for name in ("fetch_max_bytes", "max_partition_fetch_bytes")}


def test_a_large_batch_is_fetched_at_once_within_the_heap():
    fetch = _fetch_settings(40_000)
    assert fetch["fetch_max_bytes"] == FETCH_MOST_BYTES
    assert fetch["max_partition_fetch_bytes"] <= FETCH_MOST_BYTES
    assert 40_000 * 512 <= FETCH_MOST_BYTES  # a whole batch of the bench's records (a value of about 400 bytes)
    # The response is read into a buffer that grows by an eighth at a time, and copied whole.
    assert FETCH_MOST_BYTES * 9 // 8 < LARGEST_HEAP_BLOCK


def test_a_small_batch_still_fetches_a_mebibyte_a_partition():
    assert _fetch_settings(500)["max_partition_fetch_bytes"] == 1024 * 1024
