"""Forgetting usage event ids past the dedup window: a background loop, so the inbox of the
busiest topic stays the size of the window instead of growing with every event ever counted."""

import logging
from datetime import timedelta
from functools import partial

from billing_runtime.clock import Clock
from billing_runtime.messaging.inbox import forget_processed_before
from billing_runtime.workers import Worker, periodic
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.domain.usage import UsageWindow

log = logging.getLogger(__name__)

MARGIN = timedelta(days=1)
"""Kept past the window as well: the inbox's times are the database's, the window's the service's clock."""


async def forget_old_usage_ids(engine: AsyncEngine, clock: Clock, inbox: str, window: UsageWindow) -> int:
    """One pass: the ids of usage counted longer ago than the window (and the margin); how many.
    Usage old enough to be a copy of one of them is refused by the window itself."""
    forgotten = await forget_processed_before(engine, inbox, clock.now() - window.dedup - MARGIN)
    if forgotten:
        log.info("forgot %d usage event ids counted more than %s ago", forgotten, window.dedup + MARGIN)
    return forgotten


def usage_id_retention(engine: AsyncEngine, clock: Clock, inbox: str, window: UsageWindow, interval: float) -> Worker:
    """The worker: a pass every `interval` seconds until the service stops."""
    return periodic(partial(forget_old_usage_ids, engine, clock, inbox, window), interval,
                    "could not forget old usage event ids")
