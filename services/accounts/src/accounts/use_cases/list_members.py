"""The members of a billing account, for any member to see."""

from billing_runtime.auth import Caller
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import Member, Role
from accounts.use_cases.access import account_for


async def list_members(billing_account_id: str, caller: Caller, connection: AsyncConnection) -> tuple[Member, ...]:
    return (await account_for(connection, billing_account_id, caller, Role.VIEWER)).members
