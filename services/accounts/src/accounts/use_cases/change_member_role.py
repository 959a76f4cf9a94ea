"""An owner changes a member's role; the last owner cannot be demoted."""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import Member, Role
from accounts.domain.members import change_role, member_email, member_role
from accounts.use_cases.access import account_for, commit_change


async def change_member_role(
    billing_account_id: str, email: str, role: str, caller: Caller, tx: AsyncConnection, clock: Clock
) -> Member:
    account = await account_for(tx, billing_account_id, caller, Role.OWNER, for_update=True)
    email, new_role = member_email(email, where="path"), member_role(role)
    changed = change_role(account, email, new_role, clock.now())
    await commit_change(tx, account, changed)
    return next(m for m in changed.members if m.email == email)
