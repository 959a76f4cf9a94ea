"""Kafka subscribers of the notifications service (consumer group "notifications").

Handlers only write rows in the transaction the kit opened; they never talk to SMTP.
"""

from billing_contracts import Envelope
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.messaging.subscriptions import EventSubscriptions
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.settings import NotificationsSettings
from notifications.use_cases.notify_charge_failed import notify_charge_failed
from notifications.use_cases.record_account_snapshot import record_account_snapshot


def subscribe(events: EventSubscriptions, settings: NotificationsSettings, clock: Clock = SystemClock()) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""
    dashboard = settings.dashboard_base_url

    # The handlers' names name their inbox: renaming one would make it see old events as new.
    @events.on("billing_account.changed")
    async def billing_account_changed(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await record_account_snapshot(tx, envelope, dashboard, clock)

    @events.on("charge.failed")
    async def charge_failed(envelopes: list[Envelope], tx: AsyncConnection) -> None:
        for envelope in envelopes:
            await notify_charge_failed(tx, envelope, dashboard, clock)
