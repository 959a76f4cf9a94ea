"""Composition root of the invoicing service."""

from datetime import timedelta
from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime

from invoicing.entrypoints import stream
from invoicing.entrypoints.scheduler import period_closer
from invoicing.settings import InvoicingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: InvoicingSettings, clock: Clock | None = None) -> ServiceRuntime:
    """The runtime with invoicing's subscribers and its period closer; nothing connects yet.

    The price book lives in the database (the migrations load the shipped file into it)."""
    clock = clock or SystemClock()
    max_ahead = timedelta(seconds=settings.invoicing_max_usage_ahead_seconds)
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, clock=clock, max_ahead=max_ahead))
    grace = timedelta(hours=settings.invoicing_grace_period_hours)
    runtime.workers.append(period_closer(runtime.engine, clock, settings.invoicing_close_interval_seconds, grace))
    return runtime
