"""Usage counted as increments, folded into the aggregates later: what was counted reads the same
before and after a fold, late usage is flagged either way, closing folds first, one fold runs at a
time, and the schema's downgrade loses nothing counted."""

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from alembic import command
from billing_runtime.clock import FixedClock
from billing_runtime.database import create_engine
from billing_runtime.migrations import alembic_config
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, select, text

from invoicing.adapters import usage_ledger
from invoicing.adapters.tables import USAGE_AGGREGATES, USAGE_INCREMENTS, USAGE_TOTALS
from invoicing.bootstrap import MIGRATIONS
from invoicing.domain.usage import Usage
from invoicing.entrypoints.usage_folding import fold_once
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.estimate_spend import estimate_spend
from invoicing.use_cases.record_usage import record_usage

TRACES = ["00-" + f"{n:032x}" + "-00f067aa0ba902b7-01" for n in (1, 2)]


@pytest.fixture
async def private_engine(private_database):
    engine = create_engine(private_database())  # no other test's folds or closings in it
    yield engine
    await engine.dispose()


async def count(engine, account: str, meter: str, quantity: str, at, traceparent=None) -> None:
    async with engine.begin() as tx:
        await record_usage([Usage(account, "prj", meter, Decimal(quantity), at, traceparent=traceparent)], tx, FixedClock(at))


async def rows(engine, table, account: str) -> list[tuple]:
    async with engine.connect() as connection:
        query = (select(table.c.meter, table.c.quantity, table.c.event_count, table.c.max_quantity, table.c.traceparent)
                 .where(table.c.billing_account_id == account).order_by(table.c.meter))
        if table is not USAGE_INCREMENTS:
            query = query.add_columns(table.c.late_unbilled)
        return [tuple(r) for r in await connection.execute(query)]


async def test_counting_appends_increments_and_a_fold_sums_them_into_the_aggregates(private_engine, far_period):
    account, at = f"ba_{uuid.uuid4().hex[:8]}", far_period.start + timedelta(days=3)
    await count(private_engine, account, "compute.vcpu_hours", "1.5", at, TRACES[0])
    await count(private_engine, account, "compute.vcpu_hours", "4", at, TRACES[1])
    await count(private_engine, account, "compute.vcpu_hours", "2.25", at)  # no trace: the latest one stays
    await count(private_engine, account, "storage.gb_months", "7", at)

    assert len(await rows(private_engine, USAGE_INCREMENTS, account)) == 4
    assert await rows(private_engine, USAGE_AGGREGATES, account) == []
    counted = [("compute.vcpu_hours", Decimal("7.75"), 3, Decimal("4"), TRACES[1], False),
               ("storage.gb_months", Decimal("7"), 1, Decimal("7"), None, False)]
    assert await rows(private_engine, USAGE_TOTALS, account) == counted

    assert await fold_once(private_engine) == 2  # one upsert per aggregate
    assert await rows(private_engine, USAGE_INCREMENTS, account) == []
    assert await rows(private_engine, USAGE_AGGREGATES, account) == counted
    assert await rows(private_engine, USAGE_TOTALS, account) == counted

    await count(private_engine, account, "compute.vcpu_hours", "0.25", at)  # onto a folded aggregate
    counted[0] = ("compute.vcpu_hours", Decimal("8.00"), 4, Decimal("4"), TRACES[1], False)
    assert await rows(private_engine, USAGE_TOTALS, account) == counted
    assert await fold_once(private_engine) == 1
    assert await rows(private_engine, USAGE_AGGREGATES, account) == counted


async def test_the_estimate_reads_usage_not_folded_yet(private_engine, far_period):
    account, at = f"ba_{uuid.uuid4().hex[:8]}", far_period.start + timedelta(days=3)
    await count(private_engine, account, "compute.vcpu_hours", "10", at)
    async with private_engine.connect() as connection:
        before = await estimate_spend(connection, account, FixedClock(at + timedelta(days=1)))
    await fold_once(private_engine)
    async with private_engine.connect() as connection:
        after = await estimate_spend(connection, account, FixedClock(at + timedelta(days=1)))
    assert before == after and before.amount_to_date > 0


async def test_closing_folds_first_and_usage_after_it_is_late_folded_or_not(private_engine, far_period):
    account, at = f"ba_{uuid.uuid4().hex[:8]}", far_period.start + timedelta(days=3)
    await count(private_engine, account, "compute.vcpu_hours", "100", at)  # not folded when closing starts
    async with private_engine.begin() as tx:
        closing = await close_period(far_period.start, tx, FixedClock(far_period.end + timedelta(hours=2)))
    [invoice] = [i for i in closing.finalized if i.billing_account_id == account]
    assert [line.quantity for line in invoice.lines] == [Decimal("100")]
    assert await rows(private_engine, USAGE_INCREMENTS, account) == []

    await count(private_engine, account, "compute.vcpu_hours", "5", at)  # after the invoice: late
    late = [("compute.vcpu_hours", Decimal("105"), 2, Decimal("100"), None, True)]
    assert await rows(private_engine, USAGE_TOTALS, account) == late  # flagged as the fold will flag it
    await fold_once(private_engine)
    assert await rows(private_engine, USAGE_AGGREGATES, account) == late


async def test_one_fold_at_a_time_and_the_others_skip_their_pass(private_engine, far_period):
    account, at = f"ba_{uuid.uuid4().hex[:8]}", far_period.start + timedelta(days=3)
    await count(private_engine, account, "compute.vcpu_hours", "1", at)
    async with private_engine.begin() as holding:
        assert await usage_ledger.fold_usage(holding) == 1
        assert await fold_once(private_engine) is None  # skipped at once, not waiting
        waiting = asyncio.create_task(_fold_waiting(private_engine))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # closing's fold waits for the one running
    assert await waiting == 0  # then finds nothing left: the first fold took it all
    assert await rows(private_engine, USAGE_AGGREGATES, account) == [
        ("compute.vcpu_hours", Decimal("1"), 1, Decimal("1"), None, False)]


async def _fold_waiting(engine) -> int | None:
    async with engine.begin() as tx:
        return await usage_ledger.fold_usage(tx, wait=True)


async def test_identifiers_with_tabs_newlines_and_backslashes_are_counted_as_they_are(private_engine, far_period):
    account, at = f"ba_\t{uuid.uuid4().hex[:8]}\\n\n\r", far_period.start + timedelta(days=3)
    await count(private_engine, account, "compute.vcpu_hours", "3", at)
    assert await rows(private_engine, USAGE_TOTALS, account) == [
        ("compute.vcpu_hours", Decimal("3"), 1, Decimal("3"), None, False)]


def test_going_back_to_the_schema_before_increments_folds_them_first(private_database, far_period):
    url = private_database()
    account, at = f"ba_{uuid.uuid4().hex[:8]}", far_period.start + timedelta(days=3)

    async def counted() -> None:
        engine = create_engine(url)
        try:
            await count(engine, account, "compute.vcpu_hours", "2", at)
            await count(engine, account, "compute.vcpu_hours", "3", at)
        finally:
            await engine.dispose()

    asyncio.run(counted())
    command.downgrade(alembic_config(MIGRATIONS, url), "invoicing_0006")
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT to_regclass('usage_increments')")).scalar() is None
            total = connection.execute(select(func.sum(USAGE_AGGREGATES.c.quantity), func.sum(USAGE_AGGREGATES.c.event_count))
                                       .where(USAGE_AGGREGATES.c.billing_account_id == account)).one()
    finally:
        engine.dispose()
    assert tuple(total) == (Decimal("5"), 2)
