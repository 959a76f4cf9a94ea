"""Reconciliation of an invoice: for each line, the usage events received, rated and billed.

`received` counts the events counted into the line's aggregate (after deduplication: the kit's
inbox drops repeated event ids before invoicing sees them, so their number is not known here).
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store, usage_ledger
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import Invoice


@dataclass(frozen=True)
class LineReconciliation:
    project_id: str
    meter: str
    usage_period: str
    events_received: int
    """Distinct events counted for the project, meter and period so far."""
    events_rated_on_invoice: int
    """Events this invoice's line rated and billed."""
    events_billed_overall: int
    """Events billed for the key on every invoice so far (this one, and late-usage lines)."""
    events_awaiting_billing: int
    """Received but on no invoice yet: late usage waiting for the account's next invoice."""


async def reconcile_invoice(connection: AsyncConnection, invoice_id: str) -> tuple[Invoice, list[LineReconciliation]]:
    invoice = await invoice_store.find_invoice(connection, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(invoice_id)
    periods = sorted({line.usage_period.start for line in invoice.lines})
    received = {(u.project_id, u.meter, u.period.start): u.events
                for u in await usage_ledger.counters_of(connection, invoice.billing_account_id, periods)}
    billed = await invoice_store.events_billed(connection, invoice.billing_account_id)
    rows = []
    for line in invoice.lines:
        key = (line.project_id, line.meter, line.usage_period.start)
        got, overall = received.get(key, 0), billed.get(key, 0)
        rows.append(LineReconciliation(line.project_id, line.meter, line.usage_period.label, got, line.events, overall,
                                       max(got - overall, 0)))
    return invoice, rows
