"""Close a billing period: finalize the invoices of every account with usage in it (one, or one
per project when the account asks), with late usage of earlier periods, and announce each."""

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from billing_contracts import Envelope, InvoiceFinalizedV1, new_envelope
from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica, invoice_settings, invoice_store, price_catalog, usage_ledger
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.invoices import DEFAULT_CURRENCY, Invoice, InvoiceLine, finalize_invoice, invoice_number, new_invoice_id
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
    (USD until the account's snapshot arrives), priced at the prices in effect at the start of
    each usage period; `invoice.finalized` joins the same transaction. Closing again finalizes
    nothing new; usage arriving after an account was invoiced goes on its next invoice.
    """
    period = BillingPeriod(period_start)
    await usage_ledger.lock_period_for_closing(tx, period)
    price_book = await price_catalog.load_price_book(tx)
    finalized_at = clock.now()
    # What every account's invoice needs is read for all of them at once: a few queries per
    # period, not several per account (10,000 accounts took most of a minute that way).
    accounts = await usage_ledger.accounts_to_invoice(tx, period.start)
    currencies = await account_replica.currencies_of(tx, accounts)
    per_project = await invoice_settings.invoiced_per_project(tx, accounts)
    usage = await usage_ledger.usage_by_account(tx, accounts, period.start)
    late = await usage_ledger.late_usage_by_account(tx, accounts, period.start)
    drafts: list[tuple[str, str, str | None, list[InvoiceLine]]] = []
    not_invoiced: dict[str, str] = {}
    for account in accounts:
        currency = currencies.get(account) or DEFAULT_CURRENCY
        try:
            lines = price_lines(usage.get(account, []), price_book, currency, late.get(account, []))
        except (UnknownMeter, PriceMissing) as error:
            log.warning("billing account %s not invoiced for %s: %s", account, period.label, error)
            not_invoiced[account] = str(error)
            late.pop(account, None)  # its late usage waits, unbilled, for the closing that invoices it
            continue
        for project, project_lines in _invoices_to_make(lines, account in per_project).items():
            drafts.append((account, currency, project, project_lines))
    numbers = await invoice_store.next_numbers_in_sequence(tx, len(drafts))
    invoices = [
        finalize_invoice(
            invoice_id=new_id(), number=invoice_number(period, number), billing_account_id=account, period=period,
            currency=currency, lines=lines, finalized_at=finalized_at, project_id=project,
        )
        for number, (account, currency, project, lines) in zip(numbers, drafts, strict=True)
    ]
    stored = await invoice_store.add_invoices(tx, invoices)
    finalized = [invoice for invoice in invoices if invoice.id in stored]
    for account, grown in late.items():
        await usage_ledger.mark_late_billed(tx, account, grown)
    await publish_events(tx, [_announcement(invoice) for invoice in finalized])
    return PeriodClosing(period, tuple(finalized), not_invoiced)


def _invoices_to_make(lines: list[InvoiceLine], per_project: bool) -> dict[str | None, list[InvoiceLine]]:
    """The lines of each invoice: all on one (project None), or grouped by project.

    An account whose only usage was late but billed nothing more (a max that did not grow)
    still gets its invoice for the period, of zero, so the period is closed for it."""
    if not per_project:
        return {None: lines}
    by_project: dict[str | None, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_project[line.project_id].append(line)
    return dict(by_project) or {None: []}


def _announcement(invoice: Invoice) -> Envelope[InvoiceFinalizedV1]:
    event = InvoiceFinalizedV1(
        billing_account_id=invoice.billing_account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        project_id=invoice.project_id, period_start=invoice.period.start, period_end=invoice.period.end,
        currency=invoice.currency,
        amount_due=invoice.amount_due, due_at=invoice.due_at, finalized_at=invoice.finalized_at,
    )
    # An invoice is finalized once: a fixed event id makes a second announcement impossible.
    return new_envelope(event, source=SOURCE, event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{SOURCE}/{invoice.id}/invoice.finalized"))
