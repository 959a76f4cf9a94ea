"""Forgetting usage event ids past the dedup window: a background loop, so the inbox of the
busiest topic stays the size of the window instead of growing with every event ever counted."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from billing_runtime.clock import Clock
from billing_runtime.messaging.inbox import forget_processed_before
from billing_runtime.service import Worker
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

    async def forget_when_due(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await forget_old_usage_ids(engine, clock, inbox, window)
            except Exception:  # noqa: BLE001 - the database may be away; try again next time
                log.exception("could not forget old usage event ids")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)

    return forget_when_due
