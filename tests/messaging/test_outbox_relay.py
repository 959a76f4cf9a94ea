"""The outbox relay against the real database and broker."""

import asyncio
import signal
import subprocess
import sys
import uuid

import pytest
from billing_runtime.messaging.inbox import first_deliveries
from billing_runtime.messaging.outbox import OutgoingMessage, add_to_outbox
from billing_runtime.messaging.producer import create_producer
from billing_runtime.messaging.relay import OutboxRelay
from sqlalchemy import text

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
