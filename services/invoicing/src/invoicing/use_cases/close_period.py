"""Close a billing period: finalize the invoices of every account with usage in it (one, or one
per project when the account asks), with late usage of earlier periods, and announce each."""

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from billing_contracts import Envelope, InvoiceFinalizedV1, new_envelope
from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica, invoice_settings, invoice_store, price_catalog, usage_ledger
from invoicing.domain.drafts import split_by_project
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.invoices import DEFAULT_CURRENCY, Invoice, finalize_invoice, invoice_number, new_invoice_id
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.rating import price_lines

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
    one) and none for the period yet.

    Each invoice is payment_pending, due 14 days after finalizing, in the account's currency
    (USD until the account's snapshot arrives), addressed with the account's billing details as
    they are now, priced at the prices in effect at the start of
    each usage period; `invoice.finalized` joins the same transaction. Closing again finalizes
    nothing new; usage arriving after an account was invoiced goes on its next invoice.
    """
    period = BillingPeriod(period_start)
    await usage_ledger.lock_period_for_closing(tx, period)
    price_book = await price_catalog.load_price_book(tx)
    finalized_at = clock.now()
    finalized: list[Invoice] = []
    not_invoiced: dict[str, str] = {}
    for account in await usage_ledger.accounts_to_invoice(tx, period.start):
        currency = await account_replica.currency_of(tx, account) or DEFAULT_CURRENCY
        billed_to = await account_replica.billed_to_of(tx, account)
        late = await usage_ledger.late_usage_of(tx, account, period.start)
        try:
            lines = price_lines(await usage_ledger.usage_of(tx, account, period.start), price_book, currency, late)
        except (UnknownMeter, PriceMissing) as error:
            log.warning("billing account %s not invoiced for %s: %s", account, period.label, error)
            not_invoiced[account] = str(error)
            continue
        per_project = await invoice_settings.per_project(tx, account)
        for project, project_lines in split_by_project(lines, per_project).items():
            invoice = finalize_invoice(
                invoice_id=new_id(), number=invoice_number(period, await invoice_store.next_number_in_sequence(tx)),
                billing_account_id=account, period=period, currency=currency, lines=project_lines,
                finalized_at=finalized_at, project_id=project, billed_to=billed_to,
            )
            if await invoice_store.add_invoice(tx, invoice):
                finalized.append(invoice)
        await usage_ledger.mark_late_billed(tx, account, late)
    await publish_events(tx, [announcement(invoice) for invoice in finalized])
    return PeriodClosing(period, tuple(finalized), not_invoiced)


def announcement(invoice: Invoice) -> Envelope[InvoiceFinalizedV1]:
    event = InvoiceFinalizedV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        project_id=invoice.project_id, period_start=invoice.period.start, period_end=invoice.period.end,
        currency=invoice.currency,
        amount_due=invoice.amount_due, due_at=invoice.due_at, finalized_at=invoice.finalized_at,
    )
    # An invoice is finalized once: a fixed event id makes a second announcement impossible.
    return new_envelope(event, source=SOURCE, event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.finalized"))
