"""The final invoice of an account whose deletion was requested: its open month so far, at once.

Accounts closes the account once nothing is outstanding; billing the month's usage now, rather
than at month end, lets that happen within the deletion grace instead of weeks later. Usage that
still arrives for the month afterwards is late usage, billed on a later invoice like any other.
"""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store, price_catalog, usage_ledger
from invoicing.domain.invoices import Invoice
from invoicing.domain.periods import BillingPeriod
from invoicing.use_cases.close_period import finalize_accounts


async def issue_final_invoice(tx: AsyncConnection, billing_account_id: str, clock: Clock) -> list[Invoice]:
    """Finalize the account's open month as it stands (none when it has nothing to bill, or is
    invoiced for the month already); `invoice.finalized` joins the transaction."""
    now = clock.now()
    period = BillingPeriod.containing(now)
    # As closing does: no usage of the month can land between reading it and invoicing it.
    await usage_ledger.lock_period_for_closing(tx, period)
    if await invoice_store.invoiced_for(tx, billing_account_id, period.start):
        return []
    # Left open for want of a price, the month is invoiced by the period closer once it is fixed.
    closing = await finalize_accounts(tx, [billing_account_id], period, await price_catalog.load_price_book(tx), now)
    return list(closing.finalized)
