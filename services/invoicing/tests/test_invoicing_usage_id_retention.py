"""Usage event ids are remembered for the dedup window and then forgotten, so the inbox stays the
window's size; usage old enough to be a copy of a forgotten event is refused, so nothing is ever
counted twice. Against the real database and broker, in a database of its own."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.clock import FixedClock
from billing_runtime.database import create_engine
from billing_runtime.messaging.dead_letter_cli import read_dead_letters, why
from billing_runtime.messaging.dead_letters import Delivery
from billing_runtime.messaging.inbox_retention import MARGIN, forget_expired_ids
from pydantic import ValidationError
from sqlalchemy import text

from invoicing.bootstrap import bootstrap
from invoicing.domain.usage import UsageWindow
from invoicing.settings import InvoicingSettings

WINDOW = UsageWindow(max_ahead=timedelta(hours=1), dedup=timedelta(days=40))
KEPT = {"invoicing.count_usage": WINDOW.dedup + MARGIN}
"""What the service's runtime keeps usage ids for with this window (see bootstrap)."""


async def counted(engine, account: str) -> tuple:
    async with engine.connect() as connection:
        return tuple((await connection.execute(text(
            "SELECT quantity, event_count FROM usage_totals WHERE billing_account_id = :a"), {"a": account})).one())


async def test_a_copy_counts_once_while_remembered_and_is_refused_once_forgotten(private_database, usage_consumer, stack):
    engine = create_engine(private_database())  # retention forgets every usage id it finds
    account, counted_at = f"ba_{uuid.uuid4().hex[:12]}", datetime.now(UTC)
    event = new_envelope(UsageRecordedV1(billing_account_id=account, project_id="prj", meter="compute.vcpu_hours",
                                         quantity=Decimal(2), occurred_at=counted_at), source="/tests")

    async def deliver(at: datetime, offset: int) -> None:
        consumer = usage_consumer(FixedClock(at), WINDOW, database=engine)
        await consumer.consume([Delivery("usage.recorded", 0, offset, account.encode(), event.to_bytes())])

    try:
        await deliver(counted_at, 0)
        # Within the window: the id is kept, and the copy is dropped.
        later = counted_at + timedelta(days=39)
        assert await forget_expired_ids(engine, FixedClock(later), KEPT) == 0
        await deliver(later, 1)
        assert await counted(engine, account) == (Decimal(2), 1)
        # Past the window (and the margin): the id is forgotten, and a copy is too old to count.
        much_later = counted_at + timedelta(days=42)
        assert await forget_expired_ids(engine, FixedClock(much_later), KEPT) == 1
        await deliver(much_later, 2)
        assert await counted(engine, account) == (Decimal(2), 1)
    finally:
        await engine.dispose()
    dead = [r for r in await read_dead_letters(stack.kafka_bootstrap_servers, "usage.recorded") if r.key == account.encode()]
    assert [(json.loads(r.value)["id"], why(r)["reason"]) for r in dead] == [(str(event.id), "usage_too_old")]


def test_the_service_keeps_usage_ids_for_its_dedup_window_and_the_margin(monkeypatch):
    monkeypatch.setenv("INVOICING_USAGE_DEDUP_DAYS", "40")
    assert bootstrap(InvoicingSettings()).inbox_ids_kept["invoicing.count_usage"] == KEPT["invoicing.count_usage"]


def test_the_dedup_window_must_cover_a_month_the_grace_and_the_future_tolerance(monkeypatch):
    assert InvoicingSettings().usage_window() == UsageWindow(max_ahead=timedelta(hours=1), dedup=timedelta(days=62))
    monkeypatch.setenv("INVOICING_USAGE_DEDUP_DAYS", "32")
    monkeypatch.setenv("INVOICING_GRACE_PERIOD_HOURS", "24")
    with pytest.raises(ValidationError, match="INVOICING_USAGE_DEDUP_DAYS must cover"):
        InvoicingSettings()
    monkeypatch.setenv("INVOICING_USAGE_DEDUP_DAYS", "33")
    assert InvoicingSettings().usage_window().dedup == timedelta(days=33)
