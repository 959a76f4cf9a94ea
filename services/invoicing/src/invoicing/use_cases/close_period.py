"""Close a billing period: finalize the invoices of every account with usage in it (one, or one
per project when the account asks), with late usage of earlier periods, and announce each."""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from billing_contracts import Envelope, InvoiceFinalizedV1, new_envelope
from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from billing_runtime.observability import tracing
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store, price_catalog, usage_ledger, usage_traces
from invoicing.domain.invoices import Invoice, finalize_invoice, invoice_number, new_invoice_id
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import PriceBook
from invoicing.use_cases.price_invoices import price_invoices

log = logging.getLogger(__name__)
SOURCE = "/billing/invoicing"


@dataclass(frozen=True)
class PeriodClosing:
    period: BillingPeriod
    finalized: tuple[Invoice, ...]
    not_invoiced: Mapping[str, str] = field(default_factory=dict)
    """Accounts left open because some of their usage has no price, with the reason; a later
    closing (after the price book is fixed) invoices them."""


async def close_period(
    period_start: datetime, tx: AsyncConnection, clock: Clock, new_id: Callable[[], str] = new_invoice_id,
) -> PeriodClosing:
    """Finalize invoices for every account with usage in the period (or late usage of an earlier
    one) and none for the period yet (see `finalize_accounts`). Closing again finalizes nothing
    new; usage arriving after an account was invoiced goes on its next invoice.
    """
    period = BillingPeriod(period_start)
    await usage_ledger.lock_period_for_closing(tx, period)
    accounts = await usage_ledger.accounts_to_invoice(tx, period.start)
    return await finalize_accounts(tx, accounts, period, await price_catalog.load_price_book(tx), clock.now(), new_id)


async def finalize_accounts(
    tx: AsyncConnection, accounts: Sequence[str], period: BillingPeriod, price_book: PriceBook, finalized_at: datetime,
    new_id: Callable[[], str] = new_invoice_id,
) -> PeriodClosing:
    """Finalize the accounts' invoices for the period as `price_invoices` prices them: each is
    payment_pending, due 14 days after finalizing; `invoice.finalized` joins the transaction. An
    account with usage that has no price is left out, with the reason; one with nothing to bill
    gets none. The caller holds the period's closing lock.
    """
    priced = await price_invoices(tx, accounts, period, price_book)
    for account, reason in priced.not_invoiced.items():
        log.warning("billing account %s not invoiced for %s: %s", account, period.label, reason)
    numbers = await invoice_store.next_numbers_in_sequence(tx, len(priced.invoices))
    # Many usage traces end in one invoice: its finalization links to them, and its event
    # continues the finalization's own trace (the request's or the closer's). The usage traces
    # are only read when spans are recorded: an unobserved closing pays nothing for them.
    traces = await usage_traces.traces_of_usage_to_bill(tx, accounts, period.start) if tracing.recording() else {}
    invoices, traceparents = [], {}
    for number, item in zip(numbers, priced.invoices, strict=True):
        of_account = traces.get(item.billing_account_id, {})
        billed = of_account.get(item.project_id, []) if item.project_id else [t for ts in of_account.values() for t in ts]
        with tracing.span("finalize invoice", {"billing.account.id": item.billing_account_id, "billing.period": period.label},
                          links=billed) as traceparent:
            invoice = finalize_invoice(
                invoice_id=new_id(), number=invoice_number(period, number), billing_account_id=item.billing_account_id,
                period=period, currency=item.currency, lines=item.lines, finalized_at=finalized_at,
                project_id=item.project_id, billed_to=item.billed_to,
            )
            tracing.annotate({"billing.invoice.id": invoice.id, "billing.invoice.number": invoice.number})
        invoices.append(invoice)
        traceparents[invoice.id] = traceparent
    stored = await invoice_store.add_invoices(tx, invoices)
    finalized = [invoice for invoice in invoices if invoice.id in stored]
    await usage_ledger.mark_late_billed(tx, priced.late)
    await publish_events(tx, [announcement(invoice).model_copy(update={"traceparent": traceparents[invoice.id]})
                              for invoice in finalized])
    return PeriodClosing(period, tuple(finalized), priced.not_invoiced)


def announcement(invoice: Invoice) -> Envelope[InvoiceFinalizedV1]:
    event = InvoiceFinalizedV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        project_id=invoice.project_id, period_start=invoice.period.start, period_end=invoice.period.end,
        currency=invoice.currency,
        amount_due=invoice.amount_due, due_at=invoice.due_at, finalized_at=invoice.finalized_at,
    )
    # An invoice is finalized once: a fixed event id makes a second announcement impossible.
    return new_envelope(event, source=SOURCE, event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.finalized"))
