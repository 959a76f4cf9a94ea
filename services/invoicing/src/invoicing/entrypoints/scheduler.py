"""The period closer: a background loop that closes billing periods once their grace period is over."""

import logging
from datetime import timedelta
from functools import partial

from billing_runtime.clock import Clock
from billing_runtime.observability import tracing
from billing_runtime.workers import Worker, periodic
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.periods_due_for_closing import periods_due_for_closing

log = logging.getLogger(__name__)


async def close_due_periods(engine: AsyncEngine, clock: Clock, grace: timedelta) -> int:
    """One pass: close each due period in its own transaction; how many invoices were finalized.

    A period that fails is logged and left for the next pass; the others still close.
    """
    async with engine.begin() as tx:
        due = await periods_due_for_closing(tx, clock, grace)
    finalized = 0
    for period in due:
        try:
            # A trace of its own per period closed (no request started it), parent of its invoices'.
            with tracing.continue_trace(None, "close billing period", attributes={"billing.period": period.label}):
                async with engine.begin() as tx:
                    closing = await close_period(period.start, tx, clock)
        except Exception:  # noqa: BLE001 - the loop must survive; the next pass tries again
            log.exception("could not close billing period %s", period.label)
            continue
        finalized += len(closing.finalized)
        log.info("closed billing period %s: %d invoices finalized", period.label, len(closing.finalized))
    return finalized


def period_closer(engine: AsyncEngine, clock: Clock, interval: float, grace: timedelta) -> Worker:
    """The worker: a pass every `interval` seconds until the service stops."""
    return periodic(partial(close_due_periods, engine, clock, grace), interval,
                    "the period closer could not look for due periods")
