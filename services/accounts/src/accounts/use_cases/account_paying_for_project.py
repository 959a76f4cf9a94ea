"""Which billing account paid for a project at a given instant: usage is billed to the account
the project belonged to when the usage happened, not to the one it belongs to now.

Invoicing will need this as a replica (see the report: a `project.linked` event), not as a call.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.projects import project_history
from accounts.domain.projects import ProjectLink, account_paying_at, project_id as valid_project_id


async def account_paying_for_project(project_id: str, at: datetime, connection: AsyncConnection) -> str | None:
    return account_paying_at(await project_history(connection, valid_project_id(project_id)), at)


async def project_links(project_id: str, connection: AsyncConnection) -> list[ProjectLink]:
    """The project's whole history, oldest first."""
    return await project_history(connection, valid_project_id(project_id))
