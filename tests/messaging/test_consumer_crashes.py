"""100,000 usage events with 1% duplicates, and a batch consumer SIGKILLed again and again
mid-stream: the totals come out exact, nothing lost and nothing counted twice, and the
group's lag returns to zero. Against the real broker and database."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from billing_contracts import UsageRecordedV1, new_envelope
from sqlalchemy import text

from ..stack.helpers import REPO
from .conftest import start_group_at_end

EVENTS = int(os.environ.get("CRASH_TEST_EVENTS", "100000"))
ACCOUNTS = 40
MINIMUM_KILLS = 6


async def _publish(bootstrap: str, prefix: str, wave: int = 0) -> dict[str, Decimal]:
    """Publish the stream (a wave of it: each is made of other events); return the exact totals
    its unique events add up to."""
    rng = random.Random(7 + wave)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    try:
        sent, pending = [], []
        when = datetime(2026, 11, 3, tzinfo=UTC)
        for number in range(EVENTS):
            if sent and rng.random() < 0.01:
                key, value = rng.choice(sent)  # a producer retry: the same event again
            else:
                account = f"{prefix}_{number % ACCOUNTS}"
                quantity = Decimal(rng.randint(1, 10_000)) / 1000
                envelope = new_envelope(UsageRecordedV1(billing_account_id=account, project_id="prj_load",
                                                        meter="compute.vcpu_hours", quantity=quantity, occurred_at=when),
                                        source="/tests/load")
                key, value = envelope.kafka_key(), envelope.to_bytes()
                expected[account] += quantity
                if len(sent) < 5000:
                    sent.append((key, value))
            pending.append(await producer.send("usage.recorded", value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return expected


async def _lag(bootstrap: str, group: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        (described,) = await admin.describe_topics(["usage.recorded"])
    finally:
        await admin.close()
    partitions = [TopicPartition("usage.recorded", p["partition"]) for p in described["partitions"]]
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return sum(ends[p] - (committed[p].offset if p in committed else 0) for p in partitions)


async def _totals(engine, prefix: str) -> dict[str, Decimal]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT account, total FROM account_usage WHERE account LIKE :p"), {"p": f"{prefix}_%"})
        return {account: total for account, total in rows}


@pytest.mark.timeout(900)
async def test_exact_totals_through_repeated_kills(engine, stack):
    bootstrap = stack.kafka_bootstrap_servers
    prefix, group = f"ba_load{uuid.uuid4().hex[:6]}", f"crash-test-{uuid.uuid4().hex[:6]}"
    await start_group_at_end(bootstrap, group)
    expected = await _publish(bootstrap, prefix)
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "tests.messaging.usage_totals", url, bootstrap, group, prefix]
    rng, kills, deadline = random.Random(11), 0, time.monotonic() + 600
    progress_at_kills, waves = [], 1

    while True:
        if kills < MINIMUM_KILLS and await _totals(engine, prefix) == expected:
            # All of it counted before enough kills (a consumer quick to restart, short lives):
            # another wave, so that the next kills land mid-stream too, not after its end.
            for account, quantity in (await _publish(bootstrap, prefix, wave=waves)).items():
                expected[account] += quantity
            waves += 1
        consumer = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if kills < MINIMUM_KILLS:
                # Killed once it has made progress since the last kill (it rejoins the group
                # first), a moment later: mid-stream, with batches committed and one in flight.
                last = sum((await _totals(engine, prefix)).values())
                while sum((await _totals(engine, prefix)).values()) == last and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(rng.uniform(0.2, 1.5))
                consumer.send_signal(signal.SIGKILL)
                consumer.wait()
                kills += 1
                before = await _totals(engine, prefix)
                assert all(before.get(a, 0) <= t for a, t in expected.items()), "never more than the truth"
                progress_at_kills.append(sum(before.values()) / sum(expected.values()))
                continue
            while time.monotonic() < deadline:
                if await _totals(engine, prefix) == expected and await _lag(bootstrap, group) == 0:
                    break
                await asyncio.sleep(1)
            break
        finally:
            consumer.kill()
            consumer.wait()

    assert kills >= MINIMUM_KILLS
    mid_stream = [p for p in progress_at_kills if 0 < p < 1]
    assert len(mid_stream) >= 3, f"the kills should land mid-stream; progress at each: {progress_at_kills}"
    print(f"progress when killed: {[f'{p:.0%}' for p in progress_at_kills]}")
    assert await _totals(engine, prefix) == expected
    assert await _lag(bootstrap, group) == 0
