"""The platform links a new project to the billing account that pays for it."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.projects import current_link, link_project as write_link
from accounts.domain.billing_accounts import Role, ensure_active
from accounts.domain.errors import ProjectLinkedElsewhere
from accounts.domain.principals import PROJECTS_WRITE, ServicePrincipal
from accounts.domain.projects import ProjectLink, project_id as valid_project_id
from accounts.use_cases.access import account_for


async def link_project(
    billing_account_id: str, project_id: str, service: ServicePrincipal, tx: AsyncConnection, clock: Clock
) -> tuple[ProjectLink, bool]:
    """The project's link and whether it is new. Linking it again to the same account changes
    nothing (the platform may retry); to another account is refused: that is a move."""
    project_id = valid_project_id(project_id)
    account = await account_for(tx, billing_account_id, service, Role.ADMIN, scope=PROJECTS_WRITE, for_update=True)
    existing = await current_link(tx, project_id, for_update=True)
    if existing is not None:
        if existing.billing_account_id != account.id:
            raise ProjectLinkedElsewhere(project_id)
        return existing, False
    ensure_active(account)
    now = clock.now()
    await write_link(tx, project_id, account.id, now)
    return ProjectLink(project_id, account.id, now), True
