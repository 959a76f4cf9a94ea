"""The open period's draft invoices of an account, priced from the usage counted so far."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store, price_catalog
from invoicing.domain.drafts import draft_invoice
from invoicing.domain.invoices import Invoice
from invoicing.domain.periods import BillingPeriod
from invoicing.use_cases.price_invoices import price_invoices


async def open_period_drafts(connection: AsyncConnection, billing_account_id: str, clock: Clock) -> list[Invoice]:
    """What closing the open period now would finalize for the account (see `price_invoices`).
    None when there is nothing to bill, when the account is already invoiced for the month (a
    final invoice at a deletion request), or while some usage has no price (the estimate shows
    it unpriced)."""
    period = BillingPeriod.containing(clock.now())
    if await invoice_store.invoiced_for(connection, billing_account_id, period.start):
        return []
    priced = await price_invoices(connection, [billing_account_id], period, await price_catalog.load_price_book(connection))
    return [] if priced.not_invoiced else [draft_invoice(item, period) for item in priced.invoices]
