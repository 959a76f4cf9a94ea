"""Fold counted usage: move the increments batches of usage appended into their aggregates."""

from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import usage_ledger


async def fold_counted_usage(tx: AsyncConnection) -> int | None:
    """One upsert per aggregate for all the batches counted since the last fold; how many
    aggregates changed, or None if another fold is running (it takes them all: no need to wait)."""
    return await usage_ledger.fold_usage(tx, wait=False)
