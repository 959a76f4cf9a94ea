"""The final invoice of an account whose deletion was requested: its open month so far, at once.

Accounts closes the account once nothing is outstanding; billing the month's usage now, rather
than at month end, lets that happen within the deletion grace instead of weeks later. Usage that
still arrives for the month afterwards is late usage, billed on a later invoice like any other.
"""

import logging

from billing_runtime.clock import Clock
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica, invoice_settings, invoice_store, price_catalog, usage_ledger
from invoicing.domain.drafts import split_by_project
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.invoices import DEFAULT_CURRENCY, Invoice, finalize_invoice, invoice_number, new_invoice_id
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.rating import price_lines
from invoicing.use_cases.close_period import announcement

log = logging.getLogger(__name__)


async def issue_final_invoice(tx: AsyncConnection, billing_account_id: str, clock: Clock) -> list[Invoice]:
    """Finalize the account's open month as it stands (none when it has nothing to bill, or is
    invoiced for the month already); `invoice.finalized` joins the transaction."""
    now = clock.now()
    period = BillingPeriod.containing(now)
    # As closing does: no usage of the month can land between reading it and invoicing it.
    await usage_ledger.lock_period_for_closing(tx, period)
    if await invoice_store.invoiced_for(tx, billing_account_id, period.start):
        return []
    usage = await usage_ledger.usage_of(tx, billing_account_id, period.start)
    late = await usage_ledger.late_usage_of(tx, billing_account_id, period.start)
    if not (usage or late):
        return []
    currency = await account_replica.currency_of(tx, billing_account_id) or DEFAULT_CURRENCY
    try:
        lines = price_lines(usage, await price_catalog.load_price_book(tx), currency, late)
    except (UnknownMeter, PriceMissing) as error:
        # The month stays open: the period closer invoices it once the price book is fixed.
        log.warning("no final invoice for billing account %s: %s", billing_account_id, error)
        return []
    billed_to = await account_replica.billed_to_of(tx, billing_account_id)
    finalized = []
    for project, project_lines in split_by_project(lines, await invoice_settings.per_project(tx, billing_account_id)).items():
        invoice = finalize_invoice(
            invoice_id=new_invoice_id(), number=invoice_number(period, await invoice_store.next_number_in_sequence(tx)),
            billing_account_id=billing_account_id, period=period, currency=currency, lines=project_lines,
            finalized_at=now, project_id=project, billed_to=billed_to,
        )
        if await invoice_store.add_invoice(tx, invoice):
            finalized.append(invoice)
    await usage_ledger.mark_late_billed(tx, billing_account_id, late)
    await publish_events(tx, [announcement(invoice) for invoice in finalized])
    return finalized
