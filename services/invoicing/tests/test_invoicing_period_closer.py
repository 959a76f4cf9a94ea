"""The period closer closes each period once its end plus the grace period has passed, survives a
database that is away, and stops when told. In a database of its own: it closes whatever is due."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_runtime.clock import FixedClock
from billing_runtime.database import create_engine
from devstack.ports import free_port
from sqlalchemy import select

from invoicing.adapters.tables import INVOICES
from invoicing.bootstrap import bootstrap
from invoicing.domain.usage import Usage
from invoicing.entrypoints.scheduler import close_due_periods, period_closer
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.record_usage import record_usage

GRACE = timedelta(hours=24)


@pytest.fixture
async def own_engine(private_database):
    engine = create_engine(private_database())
    yield engine
    await engine.dispose()


async def invoiced_periods(engine) -> list[tuple[str, datetime]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(INVOICES.c.billing_account_id, INVOICES.c.period_start).order_by(INVOICES.c.period_start))
        return [(row.billing_account_id, row.period_start.astimezone(UTC)) for row in rows]


async def add_usage(engine, account: str, at: datetime) -> None:
    async with engine.begin() as tx:
        await record_usage([Usage(account, "prj_1", "storage.gb_months", Decimal("10"), at)], tx, FixedClock(at))


async def test_periods_close_once_their_grace_period_is_over(own_engine):
    october, november = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    await add_usage(own_engine, "ba_1", october + timedelta(days=20))
    await add_usage(own_engine, "ba_1", november + timedelta(days=20))
    clock = FixedClock(datetime(2026, 12, 1, 23, 59, tzinfo=UTC))  # November ended less than a day ago

    assert await close_due_periods(own_engine, clock, GRACE) == 1
    assert await invoiced_periods(own_engine) == [("ba_1", october)]

    clock.advance(timedelta(minutes=1))
    await add_usage(own_engine, "ba_2", october + timedelta(days=1))  # late usage of a new account
    assert await close_due_periods(own_engine, clock, GRACE) == 2
    assert await invoiced_periods(own_engine) == [("ba_1", october), ("ba_2", october), ("ba_1", november)]
    assert await close_due_periods(own_engine, clock, GRACE) == 0


async def test_the_worker_closes_due_periods_and_stops_when_told(own_engine):
    await add_usage(own_engine, "ba_1", datetime(2026, 9, 9, tzinfo=UTC))
    worker = period_closer(own_engine, FixedClock(datetime(2026, 11, 21, tzinfo=UTC)), 0.05, GRACE)
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(stopping))
    async with asyncio.timeout(10):
        while not await invoiced_periods(own_engine):
            await asyncio.sleep(0.05)
    stopping.set()
    await asyncio.wait_for(running, 2)


async def test_the_worker_survives_a_database_that_is_away():
    nowhere = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/invoicing")
    worker = period_closer(nowhere, FixedClock(datetime(2026, 11, 21, tzinfo=UTC)), 0.05, GRACE)
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(stopping))
    await asyncio.sleep(0.5)  # several failed passes
    assert not running.done()
    stopping.set()
    await asyncio.wait_for(running, 2)
    await nowhere.dispose()


def test_interval_and_grace_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("INVOICING_CLOSE_INTERVAL_SECONDS", "5")
    monkeypatch.setenv("INVOICING_GRACE_PERIOD_HOURS", "48")
    settings = InvoicingSettings()
    assert (settings.invoicing_close_interval_seconds, settings.invoicing_grace_period_hours) == (5, 48)
    assert len(bootstrap(settings).workers) == 3  # the kit's inbox retention, the period closer, the usage folder
    assert (InvoicingSettings.model_fields["invoicing_close_interval_seconds"].default,
            InvoicingSettings.model_fields["invoicing_grace_period_hours"].default) == (60, 1)
