"""Composition root of the invoicing service."""

from datetime import timedelta
from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime

from invoicing.adapters.price_book_file import load_price_book
from invoicing.domain.price_book import PriceBook
from invoicing.entrypoints import stream
from invoicing.entrypoints.scheduler import period_closer
from invoicing.settings import InvoicingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: InvoicingSettings, clock: Clock | None = None, price_book: PriceBook | None = None
) -> ServiceRuntime:
    """The runtime with invoicing's subscribers and its period closer; nothing connects yet."""
    clock = clock or SystemClock()
    price_book = price_book or load_price_book()
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, price_book=price_book))
    grace = timedelta(hours=settings.invoicing_grace_period_hours)
    runtime.workers.append(
        period_closer(runtime.engine, clock, price_book, settings.invoicing_close_interval_seconds, grace)
    )
    return runtime
