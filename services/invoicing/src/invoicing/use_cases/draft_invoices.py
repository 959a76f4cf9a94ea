"""The open period's draft invoices of an account, priced from the usage counted so far."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica, invoice_settings, invoice_store, price_catalog, usage_ledger
from invoicing.domain.drafts import draft_invoices
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.invoices import DEFAULT_CURRENCY, Invoice
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.rating import price_lines


async def open_period_drafts(connection: AsyncConnection, billing_account_id: str, clock: Clock) -> list[Invoice]:
    """What closing the open period now would finalize for the account: its usage this month and
    late usage waiting for the next invoice, priced as closing prices them. None when there is
    nothing to bill, when the account is already invoiced for the month (a final invoice at a
    deletion request), or while some usage has no price (the estimate shows it unpriced)."""
    period = BillingPeriod.containing(clock.now())
    usage = await usage_ledger.usage_of(connection, billing_account_id, period.start)
    late = (await usage_ledger.late_usage_by_account(connection, [billing_account_id], period.start)).get(billing_account_id, [])
    if not (usage or late) or await invoice_store.invoiced_for(connection, billing_account_id, period.start):
        return []
    currency = await account_replica.currency_of(connection, billing_account_id) or DEFAULT_CURRENCY
    try:
        lines = price_lines(usage, await price_catalog.load_price_book(connection), currency, late)
    except (UnknownMeter, PriceMissing):
        return []
    return draft_invoices(
        billing_account_id=billing_account_id, period=period, currency=currency, lines=lines,
        per_project=await invoice_settings.per_project(connection, billing_account_id),
        billed_to=await account_replica.billed_to_of(connection, billing_account_id),
    )
