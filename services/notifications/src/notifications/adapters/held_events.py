"""Events that arrived before their account's contact, kept until its first snapshot."""

import json
from datetime import datetime

from billing_contracts import Envelope, parse_event
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import HELD_EVENTS


async def hold_event(transaction: AsyncConnection, envelope: Envelope, received_at: datetime) -> None:
    statement = (
        insert(HELD_EVENTS)
        .values(event_id=envelope.id, billing_account_id=envelope.subject,
                payload=json.loads(envelope.to_bytes()), received_at=received_at)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    await transaction.execute(statement)


async def release_held_events(transaction: AsyncConnection, billing_account_id: str) -> list[Envelope]:
    """Remove the account's held events and return them, oldest first, read as on the wire."""
    statement = (
        delete(HELD_EVENTS)
        .where(HELD_EVENTS.c.billing_account_id == billing_account_id)
        .returning(HELD_EVENTS.c.payload, HELD_EVENTS.c.received_at)
    )
    rows = sorted((await transaction.execute(statement)).all(), key=lambda row: row.received_at)
    return [parse_event(row.payload) for row in rows]


async def expire_held_events(transaction: AsyncConnection, received_before: datetime, limit: int = 500) -> list[Envelope]:
    """Remove and return held events received before `received_before`, oldest first.

    A snapshot releasing the same event at the same moment deletes it too; the row lock
    lets only one of the two have it, so an event is either sent or expired, never both."""
    oldest = (
        select(HELD_EVENTS.c.event_id)
        .where(HELD_EVENTS.c.received_at < received_before)
        .order_by(HELD_EVENTS.c.received_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        delete(HELD_EVENTS)
        .where(HELD_EVENTS.c.event_id.in_(oldest.scalar_subquery()))
        .returning(HELD_EVENTS.c.payload, HELD_EVENTS.c.received_at)
    )
    rows = sorted((await transaction.execute(statement)).all(), key=lambda row: row.received_at)
    return [parse_event(row.payload) for row in rows]
