"""An owner removes a member, or a member leaves; the last owner can do neither."""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import Role
from accounts.domain.members import member_email
from accounts.domain.members import remove_member as without_member
from accounts.use_cases.access import account_for, commit_change


async def remove_member(billing_account_id: str, email: str, caller: Caller, tx: AsyncConnection, clock: Clock) -> None:
    email = member_email(email, where="path")
    leaving = email == caller.email
    account = await account_for(tx, billing_account_id, caller, Role.VIEWER if leaving else Role.OWNER, for_update=True)
    await commit_change(tx, account, without_member(account, email, clock.now()))
