"""The billing accounts the caller is a member of."""

from billing_runtime.auth import Caller
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.billing_accounts import accounts_of_member
from accounts.domain.billing_accounts import AccountSummary


async def list_my_accounts(caller: Caller, connection: AsyncConnection) -> list[AccountSummary]:
    return await accounts_of_member(connection, caller.email)
