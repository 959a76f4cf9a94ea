"""The idempotent consumer's memory: which events already had their effect."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from billing_runtime.array_literals import text_array

# One statement whatever the batch size: the ids go as one array literal (one text parameter),
# so neither SQLAlchemy nor psycopg builds a VALUES list of thousands of rows, nor adapts
# thousands of UUIDs one by one. It answers with the ids that were already there (a few), not
# with the thousands just recorded.
_RECORD = text("""
WITH given AS (SELECT unnest(CAST(CAST(:event_ids AS text) AS uuid[])) AS event_id),
     recorded AS (INSERT INTO inbox (consumer, event_id) SELECT :consumer, event_id FROM given
                  ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id)
SELECT CAST(event_id AS text) FROM (SELECT event_id FROM given EXCEPT SELECT event_id FROM recorded) AS seen
""")


def event_key(event_id: UUID | str) -> str:
    """An event id as the inbox compares it: the UUID's canonical text (`str(uuid)`). Readers
    that keep ids as text keep only that form (the usage fast path does)."""
    return event_id if type(event_id) is str else str(event_id)


async def first_deliveries(
    transaction: AsyncConnection | AsyncSession, consumer: str, event_ids: Iterable[UUID | str]
) -> set[str]:
    """Record the events in the caller's transaction and return the keys (`event_key`) of those
    never seen before.

    The effect of an event must be written in the same transaction, and only for the ids
    returned here: a redelivered event then finds its id taken and has no second effect,
    and a rolled-back effect leaves its id free for the next delivery.
    """
    ids = list(dict.fromkeys(map(event_key, event_ids)))
    if not ids:
        return set()
    result = await transaction.execute(_RECORD, {"consumer": consumer, "event_ids": text_array(ids)})
    return set(ids).difference(result.scalars())


_FORGET = text("""
DELETE FROM inbox WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM inbox WHERE consumer = :consumer AND processed_at < :before LIMIT :chunk))
""")


async def forget_processed_before(engine: AsyncEngine, consumer: str, before: datetime, chunk: int = 10_000) -> int:
    """Delete the consumer's inbox rows of events processed before `before`; how many.

    After this, a copy of such an event would have its effect again: call it only for what is
    past the consumer's dedup window, and refuse events that could be copies of forgotten ones.
    Deletes `chunk` rows per transaction, so the consumer's inserts never wait long behind it.
    """
    forgotten = 0
    while True:
        async with engine.begin() as transaction:
            deleted = (await transaction.execute(_FORGET, {"consumer": consumer, "before": before, "chunk": chunk})).rowcount
        forgotten += deleted
        if deleted < chunk:
            return forgotten
