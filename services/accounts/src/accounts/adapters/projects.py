"""Projects and their link history. Writers pass the open transaction; nothing here commits.

Every link written is also staged as a `project.linked` event in the same transaction, so the
services that bill usage keep the same history as a replica.
"""

from datetime import datetime

from billing_contracts import ProjectLinkedV1, new_envelope
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.tables import PROJECT_LINKS, PROJECTS
from accounts.domain.projects import ProjectLink


async def current_link(connection: AsyncConnection, project_id: str, *, for_update: bool = False) -> ProjectLink | None:
    query = select(PROJECTS).where(PROJECTS.c.project_id == project_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    return None if row is None else ProjectLink(row.project_id, row.billing_account_id, row.linked_at)


async def link_project(tx: AsyncConnection, project_id: str, billing_account_id: str, at: datetime) -> None:
    """Make `billing_account_id` pay for the project from `at`, closing its previous link if any."""
    closed = await tx.execute(
        update(PROJECT_LINKS)
        .where(PROJECT_LINKS.c.project_id == project_id, PROJECT_LINKS.c.linked_until.is_(None))
        .values(linked_until=at)
        .returning(PROJECT_LINKS.c.billing_account_id)
    )
    previous = closed.scalar()
    await tx.execute(
        insert(PROJECT_LINKS).values(project_id=project_id, billing_account_id=billing_account_id, linked_from=at)
    )
    moved = await tx.execute(
        update(PROJECTS).where(PROJECTS.c.project_id == project_id).values(billing_account_id=billing_account_id, linked_at=at)
    )
    if moved.rowcount == 0:
        await tx.execute(insert(PROJECTS).values(project_id=project_id, billing_account_id=billing_account_id, linked_at=at))
    linked = ProjectLinkedV1(billing_account_id=billing_account_id, project_id=project_id, linked_from=at,
                             previous_billing_account_id=previous)
    await publish_events(tx, [new_envelope(linked, source="/billing/accounts")])


async def projects_of_account(connection: AsyncConnection, billing_account_id: str) -> list[ProjectLink]:
    rows = await connection.execute(
        select(PROJECTS).where(PROJECTS.c.billing_account_id == billing_account_id).order_by(PROJECTS.c.linked_at, PROJECTS.c.project_id)
    )
    return [ProjectLink(row.project_id, row.billing_account_id, row.linked_at) for row in rows]


async def project_history(connection: AsyncConnection, project_id: str) -> list[ProjectLink]:
    rows = await connection.execute(
        select(PROJECT_LINKS).where(PROJECT_LINKS.c.project_id == project_id).order_by(PROJECT_LINKS.c.linked_from, PROJECT_LINKS.c.id)
    )
    return [ProjectLink(r.project_id, r.billing_account_id, r.linked_from, r.linked_until) for r in rows]
