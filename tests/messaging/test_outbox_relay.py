"""The outbox relay against the real database and broker."""

import asyncio
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from alembic import command
from billing_runtime.messaging.inbox import first_deliveries
from billing_runtime.messaging.outbox import OutgoingMessage, add_to_outbox
from billing_runtime.messaging.producer import create_producer
from billing_runtime.messaging.relay import OutboxRelay
from billing_runtime.migrations import alembic_config, upgrade
from devstack.postgres import scratch_database
from invoicing.bootstrap import MIGRATIONS
from sqlalchemy import create_engine, inspect, text

from .conftest import TOPIC, consume


def _message(key: str, body: str) -> OutgoingMessage:
    return OutgoingMessage(TOPIC, key, body.encode(), uuid.uuid4(), {"ce_type": "test"})


@pytest.fixture
async def producer(stack):
    producer = create_producer(stack.kafka_bootstrap_servers, "relay-test")
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def relay(engine, producer):
    return OutboxRelay(engine, producer, poll_interval=0.2)


async def test_committed_rows_are_published_in_order_per_key_and_marked(engine, relay, stack):
    key = f"ba_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as tx:
        await add_to_outbox(tx, [_message(key, "1"), _message(key, "2")])
    async with engine.begin() as tx:
        await add_to_outbox(tx, [_message(key, "3")])

    assert await relay.publish_pending() == 3
    assert await relay.publish_pending() == 0

    received = await consume(stack.kafka_bootstrap_servers, key, 3)
    assert [m.value for m in received] == [b"1", b"2", b"3"]
    assert dict(received[0].headers) == {"ce_type": b"test"}
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar() == 0


async def test_a_transaction_still_open_holds_back_rows_committed_after_it(engine, relay, stack):
    key = f"ba_{uuid.uuid4().hex[:8]}"
    slow = await engine.connect()
    slow_tx = await slow.begin()
    await add_to_outbox(slow, [_message(key, "first")])  # takes the lower id, commits last
    async with engine.begin() as tx:
        await add_to_outbox(tx, [_message(key, "second")])

    assert await relay.publish_pending() == 0, "the later row must wait for the open transaction"
    await slow_tx.commit()
    await slow.close()
    assert await relay.publish_pending() == 2
    assert [m.value for m in await consume(stack.kafka_bootstrap_servers, key, 2)] == [b"first", b"second"]


WRITER = """
import asyncio, os, signal, sys, uuid
from billing_runtime.database import create_engine
from billing_runtime.messaging.outbox import OutgoingMessage, add_to_outbox
from billing_runtime.messaging.producer import create_producer

async def main():
    engine = create_engine(sys.argv[1])
    async with engine.begin() as tx:
        await tx.exec_driver_sql("INSERT INTO account_usage VALUES (%(k)s, 1)", {"k": sys.argv[2]})
        await add_to_outbox(tx, [OutgoingMessage(sys.argv[3], sys.argv[2], b"committed", uuid.UUID(sys.argv[4]))])
    # Committed, not yet published: the process dies here.
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_an_event_committed_by_a_process_killed_before_publishing_is_published_once(engine, relay, stack):
    key, event_id = f"ba_{uuid.uuid4().hex[:8]}", uuid.uuid4()
    writer = subprocess.run([sys.executable, "-c", WRITER, engine.url.render_as_string(hide_password=False), key, TOPIC, str(event_id)],
                            capture_output=True, text=True, timeout=60)
    assert writer.returncode == -signal.SIGKILL, writer.stderr

    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))
    received = await consume(stack.kafka_bootstrap_servers, key, 1)
    stopping.set()
    await running
    assert [(m.value, m.key.decode()) for m in received] == [(b"committed", key)]


class _CrashAfterPublish(OutboxRelay):
    """Kafka has the messages, then the process dies before the rows are marked."""

    async def publish_pending(self) -> int:
        async with self.engine.begin() as connection:
            rows = (await connection.execute(text("SELECT topic, key, payload FROM outbox WHERE published_at IS NULL"))).all()
            for row in rows:
                await self.producer.send_and_wait(row.topic, row.payload, key=row.key.encode())
            raise ConnectionError("crashed before marking")


async def test_a_relay_crash_after_publishing_duplicates_on_the_wire_but_not_in_effect(engine, relay, stack):
    key = f"ba_{uuid.uuid4().hex[:8]}"
    event = _message(key, "2.5")
    async with engine.begin() as tx:
        await add_to_outbox(tx, [event])
    crashing = _CrashAfterPublish(engine, relay.producer)
    with pytest.raises(ConnectionError):
        await crashing.publish_pending()
    assert await relay.publish_pending() == 1  # the row was still unpublished: sent again

    deliveries = await consume(stack.kafka_bootstrap_servers, key, 2)
    assert len(deliveries) == 2
    for _ in deliveries:  # an idempotent consumer applies each event once
        async with engine.begin() as tx:
            if str(event.event_id) in await first_deliveries(tx, "usage-totals", [event.event_id]):
                await tx.exec_driver_sql(
                    "INSERT INTO account_usage VALUES (%(k)s, 2.5) ON CONFLICT (account) "
                    "DO UPDATE SET total = account_usage.total + 2.5", {"k": key})
    async with engine.connect() as connection:
        total = (await connection.execute(text("SELECT total FROM account_usage WHERE account = :k"), {"k": key})).scalar()
    assert str(total) == "2.5"


async def test_the_relay_wakes_on_commit_without_waiting_for_its_poll(engine, producer, stack):
    relay = OutboxRelay(engine, producer, poll_interval=60)
    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))
    try:
        await asyncio.sleep(1)  # let it take the lead and LISTEN
        key = f"ba_{uuid.uuid4().hex[:8]}"
        async with engine.begin() as tx:
            await add_to_outbox(tx, [_message(key, "now")])
        # Far below the 60 s poll: only the notification can have woken it.
        received = await consume(stack.kafka_bootstrap_servers, key, 1, timeout=15)
        assert [m.value for m in received] == [b"now"]
    finally:
        stopping.set()
        await running


async def _outbox_rows(engine) -> set[bytes]:
    async with engine.connect() as connection:
        return {bytes(row[0]) for row in await connection.execute(text("SELECT payload FROM outbox"))}


async def _stored(engine, *published_days_ago: float | None) -> list[bytes]:
    """One outbox row per age, published that many days ago (None: not published yet, though
    written as long ago as the oldest)."""
    bodies = [f"{n}:{age}".encode() for n, age in enumerate(published_days_ago)]
    async with engine.begin() as tx:
        await add_to_outbox(tx, [OutgoingMessage(TOPIC, "ba_old", body, uuid.uuid4()) for body in bodies])
        for body, age in zip(bodies, published_days_ago, strict=True):
            await tx.execute(text(
                "UPDATE outbox SET created_at = now() - interval '30 days', "
                "published_at = now() - CAST(:age AS interval) WHERE payload = :body"),
                {"age": None if age is None else timedelta(days=age), "body": body})
    return bodies


async def test_retention_deletes_rows_published_longer_ago_than_kept_and_nothing_else(engine, producer):
    old = await _stored(engine, *[8.0] * 7, 7.5)
    kept = await _stored(engine, 6.9, 0.1, None, None)

    relay = OutboxRelay(engine, producer, kept=timedelta(days=7))
    assert await relay.forget_published(chunk=3) == 8  # in three chunks
    assert await relay.forget_published() == 0

    assert await _outbox_rows(engine) == set(kept)  # the unpublished ones too, however old
    assert not set(old) & await _outbox_rows(engine)


async def test_a_running_relay_prunes_published_rows(engine, producer):
    old = await _stored(engine, 10.0, 9.0)
    relay = OutboxRelay(engine, producer, poll_interval=0.2, kept=timedelta(days=7), prune_interval=0.1)
    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))
    try:
        async with asyncio.timeout(10):
            while set(old) & await _outbox_rows(engine):
                await asyncio.sleep(0.1)
    finally:
        stopping.set()
        await running


def test_published_rows_must_be_kept_for_some_time():
    with pytest.raises(ValueError, match="kept for some time"):
        OutboxRelay(None, None, kept=timedelta(0))  # refused before it touches either


def test_published_rows_are_found_by_age_after_upgrading(stack):
    def indexes(url: str) -> set[str]:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return {index["name"] for index in inspect(connection).get_indexes("outbox")}
        finally:
            engine.dispose()

    with scratch_database(stack.postgres_url, "outbox_age") as url:
        upgrade(MIGRATIONS, url)
        assert "outbox_by_published_at" in indexes(url)
        command.downgrade(alembic_config(MIGRATIONS, url), "messaging_0003")
        assert "outbox_by_published_at" not in indexes(url)
        upgrade(MIGRATIONS, url)
        assert "outbox_by_published_at" in indexes(url)
