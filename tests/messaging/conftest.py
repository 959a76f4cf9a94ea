import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.database import create_engine
from billing_runtime.messaging.dead_letters import Delivery
from billing_runtime.messaging.tables import install
from devstack.kafka import start_group_at_end as start_at_end
from devstack.postgres import scratch_database
from sqlalchemy.ext.asyncio import AsyncEngine

TOPIC = "invoice.finalized"


@pytest.fixture
async def engine(stack) -> AsyncIterator[AsyncEngine]:
    """A fresh database with the outbox and inbox, as a service's migrations leave it."""
    with scratch_database(stack.postgres_url, "messaging") as url:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(install)
            await connection.exec_driver_sql("CREATE TABLE account_usage (account text PRIMARY KEY, total numeric NOT NULL)")
        yield engine
        await engine.dispose()


async def consume(bootstrap: str, key: str, count: int, topic: str = TOPIC, timeout: float = 20.0) -> list:
    """Every message with `key` on `topic`, waiting until `count` arrived (or the timeout)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"t-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found = []
    try:
        async with asyncio.timeout(timeout):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=500)
                found += [m for messages in batch.values() for m in messages if m.key == key.encode()]
        # Anything more (a duplicate) would have arrived with the rest; look once more.
        batch = await consumer.getmany(timeout_ms=1000)
        found += [m for messages in batch.values() for m in messages if m.key == key.encode()]
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return found


async def start_group_at_end(bootstrap: str, group: str, topic: str = "usage.recorded") -> None:
    await start_at_end(bootstrap, group, [topic])


def usage_delivery(account: str, offset: int = 0, meter: str = "compute.vcpu_hours") -> Delivery:
    """One unit of usage of `account`, as the consumer gets it off `usage.recorded`."""
    envelope = new_envelope(UsageRecordedV1(billing_account_id=account, project_id="prj", meter=meter, quantity=Decimal(1),
                                            occurred_at=datetime(2026, 11, 3, tzinfo=UTC)), source="/tests")
    return Delivery("usage.recorded", 0, offset, envelope.kafka_key(), envelope.to_bytes())
