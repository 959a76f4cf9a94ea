"""The order of batches in flight: a batch's effects wait until the batch before committed."""

import asyncio
from dataclasses import dataclass


class BatchBeforeNotApplied(Exception):
    """The batch before this one failed: this one must not have its effects before it."""


BATCH_BEFORE_TIMEOUT = 30.0
"""How long a batch holding inbox rows waits for the batch before; past that it rolls back and
comes again. Two consumers whose partitions just moved can each hold rows the other wants, and
a wait in this process is not a lock PostgreSQL could see in a deadlock."""


@dataclass(frozen=True)
class BatchBefore:
    """The batch before, still in flight: its events' ids (`event_key`s), and whether it committed."""

    event_ids: frozenset[str]
    applied: "asyncio.Future[bool]"


async def await_batch_before(before: BatchBefore | None) -> None:
    """Return once the batch before committed; `BatchBeforeNotApplied` if it did not."""
    if before is None:
        return
    async with asyncio.timeout(BATCH_BEFORE_TIMEOUT):  # TimeoutError: treated as the database away
        committed = await asyncio.shield(before.applied)
    if not committed:
        raise BatchBeforeNotApplied()
