"""The projects a billing account pays for now."""

from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.projects import projects_of_account
from accounts.domain.billing_accounts import Role
from accounts.domain.projects import ProjectLink
from accounts.use_cases.access import Principal, account_for


async def list_projects(billing_account_id: str, principal: Principal, connection: AsyncConnection) -> list[ProjectLink]:
    account = await account_for(connection, billing_account_id, principal, Role.VIEWER)
    return await projects_of_account(connection, account.id)
