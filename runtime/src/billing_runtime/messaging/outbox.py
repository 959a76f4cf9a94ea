"""Writing to the outbox: outgoing messages join the transaction of the state change they announce."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from billing_contracts import Envelope
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing_runtime.messaging.tables import OUTBOX
from billing_runtime.observability.tracing import for_new_event


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    """The billing account id: one account's messages stay on one partition, in order."""
    payload: bytes
    event_id: UUID
    headers: Mapping[str, str] = field(default_factory=dict)


def outgoing(envelope: Envelope) -> OutgoingMessage:
    """An event as it goes on the wire: on the topic named by its type, keyed by its account."""
    headers = {"ce_type": envelope.type, "ce_id": str(envelope.id)}
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return OutgoingMessage(envelope.type, envelope.subject, envelope.to_bytes(), envelope.id, headers)


async def publish_events(transaction: AsyncConnection | AsyncSession, envelopes: Iterable[Envelope]) -> None:
    """Stage events in the caller's transaction: they are published if, and once, it commits.

    An event that names no trace continues the current one (the request or event being
    handled): its traceparent names the span that caused it (see `tracing.for_new_event`).
    """
    traced = [e if e.traceparent else e.model_copy(update={"traceparent": for_new_event()}) for e in envelopes]
    await add_to_outbox(transaction, [outgoing(envelope) for envelope in traced])


async def add_to_outbox(transaction: AsyncConnection | AsyncSession, messages: Iterable[OutgoingMessage]) -> None:
    """Stage messages in the caller's open transaction; the relay publishes them once it commits."""
    rows = [
        {"event_id": m.event_id, "topic": m.topic, "key": m.key, "payload": m.payload, "headers": dict(m.headers)}
        for m in messages
    ]
    if rows:
        await transaction.execute(insert(OUTBOX), rows)
