"""An admin or owner renames the billing account."""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import BillingAccount, Role, rename
from accounts.use_cases.access import account_for, commit_change


async def rename_account(billing_account_id: str, name: str, caller: Caller, tx: AsyncConnection, clock: Clock) -> BillingAccount:
    account = await account_for(tx, billing_account_id, caller, Role.ADMIN, for_update=True)
    renamed = rename(account, name, clock.now())
    await commit_change(tx, account, renamed)
    return renamed
