"""An admin turns the optional emails of an account (receipts, invoice available) on or off."""

from collections.abc import Mapping

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.preferences import load_preferences, save_preferences
from notifications.domain.preferences import NotificationPreferences


async def set_notification_preferences(
    engine: AsyncEngine, billing_account_id: str, requested: Mapping[str, object], defaults: NotificationPreferences,
    clock: Clock,
) -> NotificationPreferences:
    """The preferences after the change. Raises `PreferenceRefused` (nothing changed) for a
    mandatory email's name or an unknown one."""
    defaults.changed(requested)  # refuses before anything is written
    async with engine.begin() as transaction:
        return await save_preferences(
            transaction, billing_account_id, defaults, requested, clock.now())  # type: ignore[arg-type]


async def notification_preferences(
    engine: AsyncEngine, billing_account_id: str, defaults: NotificationPreferences
) -> NotificationPreferences:
    async with engine.connect() as connection:
        return await load_preferences(connection, billing_account_id) or defaults
