"""Composition root of the invoicing service."""

from datetime import timedelta
from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime

from invoicing.entrypoints import stream
from invoicing.entrypoints.retention import usage_id_retention
from invoicing.entrypoints.scheduler import period_closer
from invoicing.entrypoints.usage_folding import usage_folder
from invoicing.settings import InvoicingSettings

MIGRATIONS = Path(__file__).parent / "migrations"
RETENTION_INTERVAL_SECONDS = 3600.0


def bootstrap(settings: InvoicingSettings, clock: Clock | None = None) -> ServiceRuntime:
    """The runtime with invoicing's subscribers, its period closer, the folding of counted usage and
    the retention of usage event ids; nothing connects yet.

    The price book lives in the database (the migrations load the shipped file into it)."""
    clock = clock or SystemClock()
    window = settings.usage_window()
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, clock=clock, window=window))
    grace = timedelta(hours=settings.invoicing_grace_period_hours)
    runtime.workers.append(period_closer(runtime.engine, clock, settings.invoicing_close_interval_seconds, grace))
    runtime.workers.append(usage_folder(runtime.engine, settings.invoicing_fold_interval_seconds))
    usage_inbox = runtime.subscriptions.inboxes["usage.recorded"]
    runtime.workers.append(usage_id_retention(runtime.engine, clock, usage_inbox, window, RETENTION_INTERVAL_SECONDS))
    return runtime
