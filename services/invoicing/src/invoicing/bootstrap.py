"""Composition root of the invoicing service."""

from pathlib import Path

from billing_runtime.service import ServiceRuntime, build_runtime

from invoicing.entrypoints import stream
from invoicing.settings import InvoicingSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: InvoicingSettings) -> ServiceRuntime:
    return build_runtime(settings, MIGRATIONS, stream.subscribe)
