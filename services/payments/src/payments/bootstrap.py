"""Composition root of the payments service."""

from pathlib import Path

from billing_runtime.service import ServiceRuntime, build_runtime

from payments.entrypoints import stream
from payments.settings import PaymentsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: PaymentsSettings) -> ServiceRuntime:
    return build_runtime(settings, MIGRATIONS, stream.subscribe)
