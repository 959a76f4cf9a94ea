"""One billing account, as the calling member sees it."""

from billing_runtime.auth import Caller
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.billing_accounts import account_of_member
from accounts.domain.billing_accounts import AccountSummary
from accounts.domain.ids import is_account_id


async def get_account(billing_account_id: str, caller: Caller, connection: AsyncConnection) -> AccountSummary | None:
    """None when there is no such account or the caller is not a member: the two look alike
    from outside, so another tenant's ids are never confirmed to exist."""
    if not is_account_id(billing_account_id):
        return None
    return await account_of_member(connection, billing_account_id, caller.email)
