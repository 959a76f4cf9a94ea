"""A project moves to another billing account; from then on that account pays for its usage."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.projects import current_link, link_project
from accounts.domain.billing_accounts import Role, ensure_active
from accounts.domain.errors import InvalidRequest, ProjectNotFound
from accounts.domain.ids import is_account_id
from accounts.domain.principals import PROJECTS_WRITE
from accounts.domain.projects import ProjectLink, project_id as valid_project_id
from accounts.use_cases.access import Principal, account_for


async def move_project(
    from_account_id: str, project_id: str, to_account_id: str, principal: Principal, tx: AsyncConnection, clock: Clock
) -> ProjectLink:
    """A person must administer both accounts; a service needs the projects:write scope.

    The history keeps the old link (until now) and the new one (from now).
    """
    project_id = valid_project_id(project_id, where="path")
    if not is_account_id(to_account_id):
        problem = f"must be a billing account id such as ba_0123456789abcdef, not {to_account_id[:40]!r}"
        raise InvalidRequest({"to_billing_account_id": problem})
    source = await account_for(tx, from_account_id, principal, Role.ADMIN, scope=PROJECTS_WRITE)
    link = await current_link(tx, project_id, for_update=True)
    if link is None or link.billing_account_id != source.id:
        raise ProjectNotFound(project_id)
    target = await account_for(tx, to_account_id, principal, Role.ADMIN, scope=PROJECTS_WRITE, for_update=True)
    if target.id == source.id:
        return link
    ensure_active(target)
    now = clock.now()
    await link_project(tx, project_id, target.id, now)
    return ProjectLink(project_id, target.id, now)
