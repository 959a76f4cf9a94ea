"""Kafka subscribers of the payments service (consumer group "payments").

Each handler runs in the transaction the messaging kit opened, with the events' inbox rows.
"""

from billing_contracts import BillingAccountChangedV1, Envelope, InvoiceFinalizedV1, InvoicePaidV1, InvoiceVoidedV1
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.messaging.subscriptions import EventSubscriptions
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters.charges import ChargesInTransaction
from payments.use_cases.close_invoice_charge import close_invoice_charge
from payments.use_cases.open_invoice_charge import open_invoice_charge
from payments.use_cases.record_account_snapshot import record_account_snapshot


def subscribe(events: EventSubscriptions, clock: Clock = SystemClock()) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""

    @events.on("billing_account.changed")
    async def keep_billing_account(envelopes: list[Envelope[BillingAccountChangedV1]], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await record_account_snapshot(tx, envelope)

    @events.on("invoice.finalized")
    async def open_charge(envelopes: list[Envelope[InvoiceFinalizedV1]], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await open_invoice_charge(ChargesInTransaction(tx), envelope.data, clock)

    @events.on("invoice.voided")
    async def cancel_voided_charge(envelopes: list[Envelope[InvoiceVoidedV1]], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await close_invoice_charge(tx, envelope.data, clock)

    @events.on("invoice.paid")
    async def close_paid_charge(envelopes: list[Envelope[InvoicePaidV1]], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await close_invoice_charge(tx, envelope.data, clock)
