"""Composition root of the accounts service."""

from datetime import timedelta
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime

from accounts.entrypoints import stream
from accounts.entrypoints.closing import account_closer
from accounts.settings import AccountsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: AccountsSettings, clock: Clock | None = None) -> ServiceRuntime:
    """The runtime with accounts' subscribers and the closer of settled accounts; nothing connects yet."""
    runtime = build_runtime(settings, MIGRATIONS, stream.subscribe)
    grace = timedelta(seconds=settings.account_deletion_grace_seconds)
    runtime.workers.append(
        account_closer(runtime.engine, clock or SystemClock(), grace, settings.account_closing_interval_seconds)
    )
    return runtime
