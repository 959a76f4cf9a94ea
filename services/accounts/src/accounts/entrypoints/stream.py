"""Kafka subscribers of the accounts service (consumer group named after the service).

Accounts is the source of `billing_account.changed` and owns the members, so it keeps no
members replica. It keeps replicas of payment methods and invoice statuses, from which an
account's standing (may it deploy?) and its overview (card, balance) are read.
"""

from billing_contracts import Envelope
from billing_runtime.messaging.subscriptions import EventSubscriptions
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.use_cases.record_invoice_status import record_invoice_status
from accounts.use_cases.record_payment_methods import record_payment_methods


def subscribe(events: EventSubscriptions) -> None:
    @events.on("payment_methods.changed", batch=True)
    async def payment_methods_changed(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_payment_methods(envelopes, tx)

    @events.on("invoice.finalized", batch=True)
    async def invoice_finalized(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_invoice_status(envelopes, tx)

    @events.on("invoice.payment_due", batch=True)
    async def invoice_payment_due(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_invoice_status(envelopes, tx)

    @events.on("invoice.not_paid", batch=True)
    async def invoice_not_paid(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_invoice_status(envelopes, tx)

    @events.on("invoice.paid", batch=True)
    async def invoice_paid(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_invoice_status(envelopes, tx)

    @events.on("invoice.voided", batch=True)
    async def invoice_voided(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        await record_invoice_status(envelopes, tx)
