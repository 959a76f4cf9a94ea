"""Many usage traces end in one invoice: each aggregate keeps the trace of its latest usage, the
finalization of the invoice that bills it links to those traces, and `invoice.finalized`
continues the finalization's own trace (the request's, or the period closer's)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from billing_contracts import parse_event
from billing_runtime.clock import FixedClock
from billing_runtime.database import create_engine
from billing_runtime.messaging.tables import OUTBOX
from billing_runtime.observability import tracing
from sqlalchemy import select

from invoicing.adapters.tables import USAGE_TOTALS
from invoicing.domain.usage import Usage
from invoicing.entrypoints.scheduler import close_due_periods
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.record_usage import record_usage


def traceparent(trace_id: str) -> str:
    return f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"




async def test_an_invoice_finalization_links_to_the_latest_trace_of_each_aggregate_it_bills(engine, far_period, spans):
    account, at = f"ba_{uuid.uuid4().hex[:10]}", far_period.start + timedelta(days=3)
    first, latest, other_meter = (uuid.uuid4().hex for _ in range(3))
    clock = FixedClock(far_period.end + timedelta(days=2))
    async with engine.begin() as tx:
        await record_usage([Usage(account, "prj_1", "compute.vcpu_hours", Decimal(1), at, {}, traceparent(first))], tx, clock)
    async with engine.begin() as tx:  # a later batch: this aggregate's trace is now the latest one's
        await record_usage([Usage(account, "prj_1", "compute.vcpu_hours", Decimal(2), at, {}, traceparent(latest)),
                            Usage(account, "prj_1", "network.egress_gb", Decimal(1), at, {}, traceparent(other_meter))], tx, clock)
        stored = set((await tx.execute(select(USAGE_TOTALS.c.traceparent)
                                       .where(USAGE_TOTALS.c.billing_account_id == account))).scalars())
    assert {p.split("-")[1] for p in stored} == {latest, other_meter}

    async with engine.begin() as tx:
        with tracing.continue_trace(None, "close request"):
            closing = await close_period(far_period.start, tx, clock)
        payload = (await tx.execute(select(OUTBOX.c.payload).where(OUTBOX.c.topic == "invoice.finalized",
                                                                   OUTBOX.c.key == account))).scalar_one()

    (invoice,) = closing.finalized
    finalize = next(s for s in spans.get_finished_spans() if s.name == "finalize invoice")
    assert finalize.attributes["billing.invoice.id"] == invoice.id
    assert {f"{link.context.trace_id:032x}" for link in finalize.links} == {latest, other_meter}
    assert parse_event(payload).traceparent == tracing.traceparent_of(finalize.context), "the event continues the finalization"


async def test_without_spans_usage_still_keeps_its_trace_and_the_invoice_event_continues_the_closing(engine, far_period):
    account, at, usage_trace = f"ba_{uuid.uuid4().hex[:10]}", far_period.start + timedelta(days=3), uuid.uuid4().hex
    clock = FixedClock(far_period.end + timedelta(days=2))
    async with engine.begin() as tx:
        await record_usage([Usage(account, "prj_1", "compute.vcpu_hours", Decimal(1), at, {}, traceparent(usage_trace))], tx, clock)
        with tracing.continue_trace(None) as closing_trace:
            await close_period(far_period.start, tx, clock)
        payload = (await tx.execute(select(OUTBOX.c.payload).where(OUTBOX.c.topic == "invoice.finalized",
                                                                   OUTBOX.c.key == account))).scalar_one()
    event_traceparent = parse_event(payload).traceparent
    assert event_traceparent.split("-")[1] == closing_trace.split("-")[1] and event_traceparent != closing_trace


async def test_the_period_closer_closes_each_period_in_a_trace_of_its_own(private_database, spans):
    engine = create_engine(private_database())
    try:
        at = datetime(2026, 9, 9, tzinfo=UTC)
        async with engine.begin() as tx:
            await record_usage([Usage("ba_1", "prj_1", "storage.gb_months", Decimal(1), at)], tx, FixedClock(at))
        assert await close_due_periods(engine, FixedClock(datetime(2026, 11, 21, tzinfo=UTC)), timedelta(hours=24)) == 1
    finally:
        await engine.dispose()
    closing = next(s for s in spans.get_finished_spans() if s.name == "close billing period")
    finalize = next(s for s in spans.get_finished_spans() if s.name == "finalize invoice")
    assert closing.parent is None and closing.attributes["billing.period"] == "2026-09"
    assert finalize.parent.span_id == closing.context.span_id
