"""The idempotent consumer's memory: which events already had their effect."""

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing_runtime.messaging.tables import INBOX


async def first_deliveries(
    transaction: AsyncConnection | AsyncSession, consumer: str, event_ids: Iterable[UUID]
) -> set[UUID]:
    """Record the events in the caller's transaction and return those never seen before.

    The effect of an event must be written in the same transaction, and only for the ids
    returned here: a redelivered event then finds its id taken and has no second effect,
    and a rolled-back effect leaves its id free for the next delivery.
    """
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    statement = (
        insert(INBOX)
        .values([{"consumer": consumer, "event_id": event_id} for event_id in ids])
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(INBOX.c.event_id)
    )
    return set((await transaction.execute(statement)).scalars())
