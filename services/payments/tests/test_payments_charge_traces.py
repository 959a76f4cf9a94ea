"""A charge is collected in the trace of the invoice that opened it; a retry, days later, in a
trace of its own linked to it."""

from datetime import UTC, datetime, timedelta

from billing_contracts import InvoiceFinalizedV1
from billing_runtime.clock import FixedClock
from billing_runtime.observability import tracing

from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge
from payments.use_cases.open_invoice_charge import open_invoice_charge

START = datetime(2026, 5, 1, 0, 5, tzinfo=UTC)
INVOICE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"




def invoice() -> InvoiceFinalizedV1:
    return InvoiceFinalizedV1(
        billing_account_id="ba_traced", invoice_id="inv_t", invoice_number="INV-T",
        period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=START, currency="EUR", amount_due=990,
        due_at=datetime(2026, 5, 15, tzinfo=UTC), finalized_at=START,
    )


async def test_the_first_collection_continues_the_invoice_trace_and_a_retry_links_to_it(ledger, gateway, spans):
    clock = FixedClock(START)
    with tracing.continue_trace(f"00-{INVOICE_TRACE}-00f067aa0ba902b7-01", "process invoice.finalized") as opened:
        await open_invoice_charge(ledger, invoice(), clock)
    assert await collect_next_charge(ledger, gateway, clock, clock.now(), RetrySchedule.of_hours())  # no card: fails
    clock.advance(timedelta(hours=24))
    assert await collect_next_charge(ledger, gateway, clock, clock.now(), RetrySchedule.of_hours())

    first, retry = [s for s in spans.get_finished_spans() if s.name == "collect charge"]
    assert f"{first.parent.span_id:016x}" == opened.split("-")[2], "a child of the opening"
    assert f"{first.context.trace_id:032x}" == INVOICE_TRACE
    assert retry.parent is None and f"{retry.context.trace_id:032x}" != INVOICE_TRACE
    assert [f"{link.context.trace_id:032x}" for link in retry.links] == [INVOICE_TRACE]
    assert (first.attributes["billing.charge.attempt"], retry.attributes["billing.charge.attempt"]) == (1, 2)
