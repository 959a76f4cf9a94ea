"""An owner gives someone access to the account by email, in a role."""

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import Member, Role
from accounts.domain.members import add_member as with_member
from accounts.domain.members import member_email, member_role
from accounts.use_cases.access import account_for, commit_change


async def add_member(
    billing_account_id: str, email: str, role: str, caller: Caller, tx: AsyncConnection, clock: Clock
) -> Member:
    """The new member (with an id derived from the email until they sign in); a new snapshot is staged."""
    account = await account_for(tx, billing_account_id, caller, Role.OWNER, for_update=True)
    email, new_role = member_email(email), member_role(role)
    changed = with_member(account, email, new_role, clock.now())
    await commit_change(tx, account, changed)
    return next(m for m in changed.members if m.email == email)
