"""Staging payments' events in the outbox of the transaction that made them true."""

from collections.abc import Iterable

from billing_contracts import Event, new_envelope
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

SOURCE = "/billing/payments"


async def publish(transaction: AsyncConnection, events: Iterable[Event]) -> None:
    await publish_events(transaction, [new_envelope(event, source=SOURCE) for event in events])
