"""The charging worker: collects due charges one at a time, beside the HTTP app."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from billing_runtime.clock import Clock
from billing_runtime.workers import Worker

from payments.domain.ports import ChargeLedger, PaymentGateway
from payments.domain.retries import RetrySchedule
from payments.use_cases.collect_charge import collect_next_charge

log = logging.getLogger(__name__)


def charging_worker(
    ledger: ChargeLedger, gateway: PaymentGateway, clock: Clock, schedule: RetrySchedule,
    poll_interval: float = 0.5, stale_after: timedelta = timedelta(seconds=5),
) -> Worker:
    """A loop for `runtime.workers`. An attempt in flight is looked at again once untouched for
    `stale_after`; attempts left in flight before the worker started are looked at at once.
    Due charges are picked when their `next_attempt_at` has come (by `clock`), so retries
    survive restarts; failures are rescheduled by `schedule`."""

    async def collect_charges(stopping: asyncio.Event) -> None:
        started_at = clock.now()
        while not stopping.is_set():
            stale_before = max(started_at, clock.now() - stale_after)
            try:
                worked = await collect_next_charge(ledger, gateway, clock, stale_before, schedule)
            except Exception:  # noqa: BLE001 - the charge stays claimable; keep collecting the others
                log.exception("charging failed; retrying")
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), poll_interval)

    return collect_charges
