"""Composition root of the notifications service."""

from pathlib import Path

from billing_runtime.service import ServiceRuntime, build_runtime

from notifications.entrypoints import stream
from notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: NotificationsSettings) -> ServiceRuntime:
    return build_runtime(settings, MIGRATIONS, stream.subscribe)
