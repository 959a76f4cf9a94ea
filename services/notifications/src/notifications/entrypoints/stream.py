"""Kafka subscribers of the notifications service (consumer group "notifications").

Handlers only write rows in the transaction the kit opened; they never talk to SMTP.
"""

from billing_contracts import Envelope
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.messaging.subscriptions import EventSubscriptions
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.settings import NotificationsSettings
from notifications.use_cases.notify_customer import EmailSettings, notify_customer
from notifications.use_cases.record_account_snapshot import record_account_snapshot


def email_settings(settings: NotificationsSettings) -> EmailSettings:
    return EmailSettings(settings.dashboard_base_url, settings.default_preferences())


def subscribe(events: EventSubscriptions, settings: NotificationsSettings, clock: Clock = SystemClock()) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""
    emails = email_settings(settings)

    # The handlers' names name their inbox: renaming one would make it see old events as new.
    @events.on("billing_account.changed")
    async def billing_account_changed(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await record_account_snapshot(tx, envelope, emails, clock)

    # In batches: a burst of failures (a card network outage on the 1st of the month) is
    # written a batch per transaction instead of one transaction per event.
    @events.on("charge.failed", batch=True, max_records=200)
    async def charge_failed(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await notify_customer(tx, envelope, emails, clock)

    @events.on("invoice.not_paid")
    async def invoice_not_paid(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await notify_customer(tx, envelope, emails, clock)

    @events.on("invoice.paid")
    async def invoice_paid(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await notify_customer(tx, envelope, emails, clock)

    @events.on("invoice.finalized")
    async def invoice_finalized(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await notify_customer(tx, envelope, emails, clock)
