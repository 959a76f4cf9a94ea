"""Invoicing scaled by adding consumer processes: two in one group over the 12 partitions of
usage.recorded, a third added and one stopped mid-stream. Every event is counted exactly once
and the group's lag returns to zero."""

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.migrations import upgrade
from devstack.ports import free_port
from devstack.pytest_plugin import local_stack
from devstack.story import wait_for_lag_zero
from invoicing.bootstrap import MIGRATIONS

from ..conftest import REPO

EVENTS = 30_000
ACCOUNTS = 24


async def _publish(bootstrap: str) -> dict[tuple[str, str], Decimal]:
    rng, expected, sent = random.Random(5), defaultdict(Decimal), []
    meters = ["compute.vcpu_hours", "storage.gb_months", "network.egress_gb"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        pending = []
        for number in range(EVENTS):
            if sent and rng.random() < 0.01:
                key, value = rng.choice(sent)
            else:
                account, meter = f"ba_scale{number % ACCOUNTS:04d}", meters[number % 3]
                quantity = Decimal(rng.randint(1, 5000)) / 100
                envelope = new_envelope(UsageRecordedV1(billing_account_id=account, project_id="prj_scale", meter=meter,
                                                        quantity=quantity, occurred_at=datetime.now(UTC)), source="/tests/scale")
                key, value = envelope.kafka_key(), envelope.to_bytes()
                expected[(account, meter)] += quantity
                sent.append((key, value))
            pending.append(await producer.send("usage.recorded", value, key=key))
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending.clear()
                await asyncio.sleep(1.0)  # a stream of about 1,000 events/s: the group changes while it flows
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return dict(expected)


def _consumer(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "invoicing", "serve", "--role", "consumer", "--port", str(port)],
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _applied(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            lines = response.read().decode().splitlines()
    except OSError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines
               if line.startswith("billing_messages_consumed_total{") and 'outcome="applied"' in line and "usage.recorded" in line)


def _holds_partitions(port: int) -> bool:
    """Joined the group and fetched from its partitions (it reports their lag)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            return any(line.startswith("billing_consumer_lag{") and "usage.recorded" in line
                       for line in response.read().decode().splitlines())
    except OSError:
        return False


def _totals(url: str) -> dict[tuple[str, str], Decimal]:
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        rows = connection.execute("SELECT billing_account_id, meter, sum(quantity) FROM usage_totals "
                                  "WHERE billing_account_id LIKE 'ba_scale%' GROUP BY 1, 2").fetchall()
    return {(account, meter): total for account, meter, total in rows}


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.mark.timeout(600)
def test_consumers_added_and_stopped_mid_stream_count_every_event_once(pytestconfig):
    with local_stack(pytestconfig) as endpoints:
        url = endpoints.database_url("invoicing")
        upgrade(MIGRATIONS, url)
        env = {**os.environ, **endpoints.service_env("invoicing"), "INVOICING_CLOSE_INTERVAL_SECONDS": "3600"}
        ports = [free_port() for _ in range(3)]
        first, second = _consumer(env, ports[0]), _consumer(env, ports[1])
        third = None
        try:
            # Both hold partitions before the stream starts: on a busy machine a process can take
            # seconds to join, and one that joins after the others drained the topic applies nothing.
            _wait(lambda: _holds_partitions(ports[0]) and _holds_partitions(ports[1]), 120, "both consumers to join")
            # The stream flows from a thread of its own while the group changes under it.
            with ThreadPoolExecutor(max_workers=1) as publisher:
                publishing = publisher.submit(asyncio.run, _publish(endpoints.kafka_bootstrap_servers))
                time.sleep(3)
                third = _consumer(env, ports[2])
                _wait(lambda: _applied(ports[0]) > 0 and _applied(ports[1]) > 0, 120, "both first consumers to apply usage")
                _wait(lambda: _applied(ports[2]) > 0, 120, "the consumer added mid-stream to take partitions and apply usage")
                first_applied = _applied(ports[0])
                assert not publishing.done(), "the group changed mid-stream, not after it"
                first.send_signal(signal.SIGKILL)
                first.wait()
                expected = publishing.result()

            asyncio.run(wait_for_lag_zero(endpoints.kafka_bootstrap_servers, "invoicing", "usage.recorded", timeout=240))
            _wait(lambda: _totals(url) == expected, 60, "the aggregates to equal the published usage")
            assert first_applied > 0
            print(json.dumps({"events": EVENTS, "applied_by": [first_applied, _applied(ports[1]), _applied(ports[2])]}))
        finally:
            for process in (first, second, third):
                if process and process.poll() is None:
                    process.terminate()
                    process.wait(30)
