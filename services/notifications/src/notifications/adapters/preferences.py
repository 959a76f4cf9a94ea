"""Each account's notification preferences in the notifications database."""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import NOTIFICATION_PREFERENCES
from notifications.domain.preferences import NotificationPreferences


async def load_preferences(connection: AsyncConnection, billing_account_id: str) -> NotificationPreferences | None:
    """The account's preferences, or None when it never set any (the defaults apply)."""
    query = select(NOTIFICATION_PREFERENCES.c.receipts, NOTIFICATION_PREFERENCES.c.invoice_available).where(
        NOTIFICATION_PREFERENCES.c.billing_account_id == billing_account_id)
    row = (await connection.execute(query)).first()
    return NotificationPreferences(**row._mapping) if row else None


async def save_preferences(
    transaction: AsyncConnection, billing_account_id: str, defaults: NotificationPreferences,
    requested: Mapping[str, bool], at: datetime,
) -> NotificationPreferences:
    """Set only the `requested` preferences, atomically: two admins changing different ones
    at once both keep their change. A first row starts from `defaults`."""
    first = defaults.changed(requested)
    statement = (
        insert(NOTIFICATION_PREFERENCES)
        .values(billing_account_id=billing_account_id, receipts=first.receipts,
                invoice_available=first.invoice_available, updated_at=at)
        .on_conflict_do_update(index_elements=["billing_account_id"], set_={**requested, "updated_at": at})
        .returning(NOTIFICATION_PREFERENCES.c.receipts, NOTIFICATION_PREFERENCES.c.invoice_available)
    )
    row = (await transaction.execute(statement)).one()
    return NotificationPreferences(**row._mapping)
