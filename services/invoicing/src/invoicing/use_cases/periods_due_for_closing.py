"""Which billing periods the scheduler should close now."""

from datetime import timedelta

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import usage_ledger
from invoicing.domain.periods import BillingPeriod, closable_before


async def periods_due_for_closing(tx: AsyncConnection, clock: Clock, grace: timedelta) -> list[BillingPeriod]:
    """Past periods that ended at least `grace` ago and still have usage of an account not invoiced for them."""
    await usage_ledger.fold_usage(tx)  # usage counted since the last fold counts too
    starts = await usage_ledger.periods_with_uninvoiced_usage(tx, closable_before(clock.now(), grace))
    return [BillingPeriod(start) for start in starts]
