"""Folding counted usage into the aggregates: a background loop of every consumer (one folds at a
time, the others skip their pass), so that the increments stay few whatever the rate."""

import logging
from functools import partial

from billing_runtime.workers import Worker, periodic
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.use_cases.fold_counted_usage import fold_counted_usage

log = logging.getLogger(__name__)


async def fold_once(engine: AsyncEngine) -> int | None:
    """One pass in a transaction of its own; how many aggregates it changed (None: skipped)."""
    async with engine.begin() as tx:
        folded = await fold_counted_usage(tx)
    if folded:
        log.debug("folded counted usage into %d aggregates", folded)
    return folded


def usage_folder(engine: AsyncEngine, interval: float) -> Worker:
    """The worker: a pass every `interval` seconds until the service stops."""
    return periodic(partial(fold_once, engine), interval, "could not fold counted usage")
