"""The owner asks for the account to be deleted, or takes the request back while it is pending.

A requested deletion stops the account from deploying at once; the account closes once
nothing is owed (see `close_settled_accounts`).
"""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import BillingAccount, Role, cancel_deletion, request_deletion
from accounts.use_cases.access import account_for, commit_change


async def request_account_deletion(billing_account_id: str, caller: Caller, tx: AsyncConnection, clock: Clock) -> BillingAccount:
    account = await account_for(tx, billing_account_id, caller, Role.OWNER, for_update=True)
    changed = request_deletion(account, clock.now())
    await commit_change(tx, account, changed)
    return changed


async def cancel_account_deletion(billing_account_id: str, caller: Caller, tx: AsyncConnection, clock: Clock) -> BillingAccount:
    account = await account_for(tx, billing_account_id, caller, Role.OWNER, for_update=True)
    changed = cancel_deletion(account, clock.now())
    await commit_change(tx, account, changed)
    return changed
