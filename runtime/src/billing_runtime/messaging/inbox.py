"""The idempotent consumer's memory: which events already had their effect."""

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# One statement whatever the batch size: the ids go as one array parameter, so neither
# SQLAlchemy nor psycopg builds (and PostgreSQL parses) a VALUES list of thousands of rows.
_RECORD = text(
    "INSERT INTO inbox (consumer, event_id) SELECT :consumer, unnest(CAST(:event_ids AS uuid[])) "
    "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
).bindparams(bindparam("event_ids", type_=ARRAY(PgUUID(as_uuid=True))))


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
    result = await transaction.execute(_RECORD, {"consumer": consumer, "event_ids": ids})
    return set(result.scalars())
