"""Accounts whose deletion was requested close once nothing is outstanding.

The close waits `grace` after the request, so the owner can still take it back and the final
invoice (invoicing bills the open month as soon as it sees the request) can arrive and be
settled first.
"""

from datetime import timedelta

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accounts.adapters.billing_accounts import accounts_awaiting_deletion, billing_account
from accounts.adapters.replicas import outstanding_balance
from accounts.domain.billing_accounts import AccountStatus, close
from accounts.use_cases.access import commit_change


async def close_if_settled(tx: AsyncConnection, billing_account_id: str, clock: Clock, grace: timedelta) -> bool:
    """Close the account if its deletion is pending, older than `grace`, and nothing is owed."""
    account = await billing_account(tx, billing_account_id, for_update=True)
    if account is None or account.status is not AccountStatus.DELETION_REQUESTED:
        return False
    now = clock.now()
    if account.deletion_requested_at and now - account.deletion_requested_at < grace:
        return False
    if any((await outstanding_balance(tx, account.id)).values()):
        return False
    await commit_change(tx, account, close(account, now))
    return True


async def close_settled_accounts(engine: AsyncEngine, clock: Clock, grace: timedelta) -> list[str]:
    """One pass over the accounts awaiting deletion, each in its own transaction; the ids closed."""
    async with engine.connect() as connection:
        pending = await accounts_awaiting_deletion(connection)
    closed = []
    for billing_account_id in pending:
        async with engine.begin() as tx:
            if await close_if_settled(tx, billing_account_id, clock, grace):
                closed.append(billing_account_id)
    return closed
