"""Keep a project's link, so usage is billed to the account the project belonged to when it happened."""

from billing_contracts import ProjectLinkedV1
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import project_links
from invoicing.domain.project_links import ProjectLink


async def replicate_project_link(linked: ProjectLinkedV1, tx: AsyncConnection) -> None:
    await project_links.save_link(tx, ProjectLink(linked.project_id, linked.linked_from, linked.billing_account_id))
