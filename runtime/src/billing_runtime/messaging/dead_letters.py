"""Dead letters: what a consumer cannot process goes aside with its reason, and the partition moves on.

Each topic has a dead-letter topic, `<topic>.dead_lettered`, with the same key. A dead letter is
the original message bytes, its original headers, and `dlq.*` headers that say where it came
from and why it was put aside. `python -m billing_runtime.messaging.dead_letter_cli` lists and
replays them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from billing_contracts import dead_letter_topic

from billing_runtime.messaging.producer import Producer
from billing_runtime.observability.metrics import DEAD_LETTERS

HEADER_PREFIX = "dlq."


class Delivered(Protocol):
    """A message as it came off Kafka, with where it came from: aiokafka's `ConsumerRecord` as it
    is (subscribers copy nothing per message), or a `Delivery`. A value may be None (a
    tombstone), read as empty."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True)
class Delivery:
    """A delivery made by hand (tests give the consumer messages this way)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class DeadLetters:
    def __init__(self, producer: Producer, consumer_group: str) -> None:
        self.producer = producer
        self.consumer_group = consumer_group

    async def put_aside(self, delivery: Delivered, reason: str, error: str, attempts: int) -> None:
        """Publish the dead letter and wait for Kafka to have it; only then may the offset move."""
        original = [(name, value) for name, value in delivery.headers if not name.startswith(HEADER_PREFIX)]
        why = {
            "original_topic": delivery.topic,
            "original_partition": str(delivery.partition),
            "original_offset": str(delivery.offset),
            "consumer_group": self.consumer_group,
            "reason": reason,
            "error": error[:2000],
            "attempts": str(attempts),
            "dead_lettered_at": datetime.now(UTC).isoformat(),
        }
        headers = original + [(HEADER_PREFIX + name, value.encode()) for name, value in why.items()]
        await self.producer.send_and_wait(dead_letter_topic(delivery.topic).name, delivery.value or b"", key=delivery.key,
                                          headers=headers)
        DEAD_LETTERS.labels(self.consumer_group, delivery.topic, reason).inc()
