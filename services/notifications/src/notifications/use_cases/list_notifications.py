"""The email log of one billing account, as its members see it."""

from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.email_log import EmailLogEntry, account_emails


async def list_notifications(engine: AsyncEngine, billing_account_id: str, limit: int = 50) -> list[EmailLogEntry]:
    async with engine.connect() as connection:
        return await account_emails(connection, billing_account_id, limit)
