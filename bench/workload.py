"""The usage stream the benchmark publishes: many accounts, several meters, 1% duplicates.

Messages are the exact bytes `Envelope.to_bytes()` writes for a `UsageRecordedV1` (checked
against `parse_event` before publishing), formatted directly because building a million
pydantic models would make publishing, not consuming, the slow part of the benchmark.
"""

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from billing_contracts import UsageRecordedV1, new_event_id, parse_event

TOPIC = "usage.recorded"
METERS = ("compute.vcpu_hours", "storage.gb_months", "network.egress_gb")
DUPLICATE_SHARE = 0.01
_TEMPLATE = (
    '{{"specversion":"1.0","id":"{id}","type":"usage.recorded","source":"/bench/usage","time":"{at}",'
    '"schemaversion":1,"subject":"{account}","datacontenttype":"application/json","data":{{"billing_account_id":'
    '"{account}","project_id":"{project}","meter":"{meter}","quantity":"{quantity}","occurred_at":"{at}",'
    '"properties":{{}}}}}}'
)


@dataclass
class Expected:
    """What the aggregates must hold: per (account, project, meter), the sum in hundredths and the count."""

    hundredths: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    events: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    messages: int = 0
    unique: int = 0


class UsageStream:
    """Deterministic usage of `accounts` accounts (one project each) over the meters, at `moment(i)`."""

    def __init__(self, accounts: int, prefix: str, project: str, seed: int, random_ids: bool = False) -> None:
        """Event ids as the contracts make them (`new_event_id`: time-ordered), or with
        `random_ids` random ones (version 4), as a producer that makes its own might send."""
        self.accounts, self.prefix, self.project = accounts, prefix, project
        self.random_ids = random_ids
        self.rng = random.Random(seed)
        self.recent: list[tuple[bytes, bytes]] = []  # what a retrying producer could send again
        self.expected = Expected()

    def account(self, number: int) -> str:
        return f"{self.prefix}{number:06d}"

    def next_message(self, at: datetime) -> tuple[bytes, bytes, bool]:
        """(key, value, is_duplicate) of the next message."""
        rng = self.rng
        self.expected.messages += 1
        if self.recent and rng.random() < DUPLICATE_SHARE:
            key, value = rng.choice(self.recent)
            return key, value, True
        account, meter = self.account(rng.randrange(self.accounts)), METERS[rng.randrange(len(METERS))]
        hundredths = rng.randint(1, 5000)
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4) if self.random_ids else new_event_id()
        value = _TEMPLATE.format(
            id=event_id, at=at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            account=account, project=self.project, meter=meter, quantity=f"{hundredths // 100}.{hundredths % 100:02d}",
        ).encode()
        key = account.encode()
        self.expected.hundredths[(account, self.project, meter)] += hundredths
        self.expected.events[(account, self.project, meter)] += 1
        self.expected.unique += 1
        self.recent.append((key, value))
        if len(self.recent) > 4096:
            del self.recent[:2048]
        return key, value, False


def check_format(stream: UsageStream) -> None:
    """The formatted bytes read back as the contract says (else the benchmark measures dead letters)."""
    probe = UsageStream(3, stream.prefix, stream.project, seed=1)
    _, value, _ = probe.next_message(datetime.now(UTC))
    envelope = parse_event(value)
    assert isinstance(envelope.data, UsageRecordedV1), envelope
    assert envelope.to_bytes() == value, (envelope.to_bytes(), value)


def last_month_moments(count: int, now: datetime):
    """`count` instants spread over the month before `now`'s (a period that can be closed)."""
    first_of_this = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first_of_this - timedelta(days=1)).replace(day=1)
    span = (first_of_this - start) / max(count, 1)
    return (start + span * i for i in range(count))


async def publish_bulk(bootstrap: str, stream: UsageStream, count: int, now: datetime, say) -> float:
    """Publish `count` messages as fast as the producer goes; seconds taken."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=50, max_batch_size=512 * 1024,
                                max_request_size=4 * 1024 * 1024)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for number, at in enumerate(last_month_moments(count, now), 1):
            key, value, _ = stream.next_message(at)
            pending.append(await producer.send(TOPIC, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                if number % 200_000 == 0:
                    say(f"published {number:,} of {count:,}")
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


@dataclass(frozen=True)
class Sent:
    account: str
    partition: int
    offset: int
    timestamp_ms: int
    duplicate: bool


async def publish_steady(bootstrap: str, stream: UsageStream, rate: int, seconds: float) -> list[Sent]:
    """Publish at `rate` messages per second for `seconds`, in 10 ms ticks, recording each record's
    account, partition, offset and timestamp (the record timestamp freshness is measured from)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    pending: list[tuple[asyncio.Future, bytes, int, bool]] = []
    try:
        started, total, number = time.monotonic(), int(rate * seconds), 0
        while number < total:
            due = min(total, int((time.monotonic() - started) * rate) + 1)
            while number < due:
                key, value, duplicate = stream.next_message(datetime.now(UTC))
                stamp = int(time.time() * 1000)
                pending.append((await producer.send(TOPIC, value, key=key, timestamp_ms=stamp), key, stamp, duplicate))
                number += 1
            await asyncio.sleep(0.01)
        sent = []
        for future, key, stamp, duplicate in pending:
            metadata = await future
            sent.append(Sent(key.decode(), metadata.partition, metadata.offset, stamp, duplicate))
    finally:
        await producer.stop()
    return sent
