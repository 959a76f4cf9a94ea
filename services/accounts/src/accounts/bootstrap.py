"""Composition root of the accounts service."""

from pathlib import Path

from billing_runtime.service import ServiceRuntime, build_runtime

from accounts.entrypoints import stream
from accounts.settings import AccountsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: AccountsSettings) -> ServiceRuntime:
    return build_runtime(settings, MIGRATIONS, stream.subscribe)
