"""The replica of every project's link history."""

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import PROJECT_LINKS, among
from invoicing.domain.project_links import ProjectLink


async def save_link(tx: AsyncConnection, link: ProjectLink) -> None:
    """Keep the link; one already kept (a redelivery) changes nothing."""
    await tx.execute(insert(PROJECT_LINKS).values(
        project_id=link.project_id, linked_from=link.linked_from, billing_account_id=link.billing_account_id,
    ).on_conflict_do_nothing())


async def links_of(tx: AsyncConnection, project_ids: Collection[str]) -> dict[str, list[ProjectLink]]:
    """The histories of these projects (one query, however many), oldest link first."""
    if not project_ids:
        return {}
    rows = await tx.execute(select(PROJECT_LINKS).where(among(PROJECT_LINKS.c.project_id, project_ids))
                            .order_by(PROJECT_LINKS.c.project_id, PROJECT_LINKS.c.linked_from))
    links: dict[str, list[ProjectLink]] = defaultdict(list)
    for row in rows:
        links[row.project_id].append(ProjectLink(row.project_id, row.linked_from, row.billing_account_id))
    return dict(links)
