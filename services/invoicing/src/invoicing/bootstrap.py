"""Composition root of the invoicing service."""

from datetime import timedelta
from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.messaging.inbox_retention import MARGIN
from billing_runtime.service import ServiceRuntime, build_runtime

from invoicing.entrypoints import stream
from invoicing.entrypoints.scheduler import period_closer
from invoicing.entrypoints.usage_folding import usage_folder
from invoicing.settings import InvoicingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: InvoicingSettings, clock: Clock | None = None) -> ServiceRuntime:
    """The runtime with invoicing's subscribers, its period closer, the folding of counted usage and
    the dedup window its usage event ids are kept for; nothing connects yet.

    The price book lives in the database (the migrations load the shipped file into it)."""
    clock = clock or SystemClock()
    window = settings.usage_window()
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, clock=clock, window=window), clock)
    grace = timedelta(hours=settings.invoicing_grace_period_hours)
    runtime.workers.append(period_closer(runtime.engine, clock, settings.invoicing_close_interval_seconds, grace))
    runtime.workers.append(usage_folder(runtime.engine, settings.invoicing_fold_interval_seconds))
    # Usage ids are kept for the dedup window instead of the topic's retention: usage older than
    # the window is refused whatever the inbox holds (see UsageWindow), so its ids need not outlive it.
    runtime.inbox_ids_kept[runtime.subscriptions.inboxes["usage.recorded"]] = window.dedup + MARGIN
    return runtime
