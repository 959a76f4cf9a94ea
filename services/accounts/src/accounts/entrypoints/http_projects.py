"""Projects paid for by a billing account: linked by the platform, moved by administrators."""

from datetime import datetime

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from accounts.domain.errors import InvalidRequest, NotAllowed, NotFound
from accounts.domain.principals import PROJECTS_WRITE
from accounts.domain.projects import ProjectLink
from accounts.entrypoints.dependencies import ClockDep, RequestBody, Runtime
from accounts.entrypoints.principals import Principal, Service
from accounts.use_cases.account_paying_for_project import account_paying_for_project, project_links
from accounts.use_cases.link_project import link_project
from accounts.use_cases.list_projects import list_projects
from accounts.use_cases.move_project import move_project

router = APIRouter(tags=["projects"])
ACCOUNT_PROJECTS = "/v1/billing-accounts/{billing_account_id}/projects"


class ProjectToLink(RequestBody):
    project_id: str = Field(description="The platform's project id.", examples=["prj_4kT9wQ"])


class ProjectMove(RequestBody):
    to_billing_account_id: str = Field(description="The account that pays from now on.", examples=["ba_0123456789abcdef"])


class ProjectOut(BaseModel):
    project_id: str
    billing_account_id: str
    linked_from: datetime
    linked_until: datetime | None = None

    @classmethod
    def of(cls, link: ProjectLink) -> "ProjectOut":
        return cls(
            project_id=link.project_id, billing_account_id=link.billing_account_id,
            linked_from=link.linked_from, linked_until=link.linked_until,
        )


class PayingAccountOut(BaseModel):
    project_id: str
    at: datetime
    billing_account_id: str


@router.post(ACCOUNT_PROJECTS, response_model=ProjectOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "Already linked to this account; nothing changed"}})
async def link(
    billing_account_id: str, body: ProjectToLink, service: Service, runtime: Runtime, clock: ClockDep, response: Response
) -> ProjectOut:
    """For the platform (service token with the projects:write scope)."""
    async with runtime.engine.begin() as tx:
        project, created = await link_project(billing_account_id, body.project_id, service, tx, clock)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ProjectOut.of(project)


@router.get(ACCOUNT_PROJECTS, response_model=list[ProjectOut])
async def projects(billing_account_id: str, principal: Principal, runtime: Runtime) -> list[ProjectOut]:
    async with runtime.engine.connect() as connection:
        return [ProjectOut.of(p) for p in await list_projects(billing_account_id, principal, connection)]


@router.post(ACCOUNT_PROJECTS + "/{project_id}/move", response_model=ProjectOut)
async def move(
    billing_account_id: str, project_id: str, body: ProjectMove, principal: Principal, runtime: Runtime, clock: ClockDep
) -> ProjectOut:
    """The caller administers both accounts (or is a service with projects:write)."""
    async with runtime.engine.begin() as tx:
        moved = await move_project(billing_account_id, project_id, body.to_billing_account_id, principal, tx, clock)
    return ProjectOut.of(moved)


@router.get("/v1/projects/{project_id}/links", response_model=list[ProjectOut])
async def history(project_id: str, service: Service, runtime: Runtime) -> list[ProjectOut]:
    """Which accounts paid for the project, when (for platform services)."""
    if not service.may(PROJECTS_WRITE):
        raise NotAllowed("this service token lacks the projects:write scope")
    async with runtime.engine.connect() as connection:
        return [ProjectOut.of(link) for link in await project_links(project_id, connection)]


@router.get("/v1/projects/{project_id}/billing-account", response_model=PayingAccountOut)
async def paying_account(
    project_id: str, service: Service, runtime: Runtime, at: datetime = Query(description="An instant, with its UTC offset.")
) -> PayingAccountOut:
    """The account that paid for the project at `at` (for platform services)."""
    if not service.may(PROJECTS_WRITE):
        raise NotAllowed("this service token lacks the projects:write scope")
    if at.tzinfo is None:
        raise InvalidRequest({"at": "must carry a UTC offset, such as 2026-05-01T12:00:00Z"}, "query")
    async with runtime.engine.connect() as connection:
        account_id = await account_paying_for_project(project_id, at, connection)
    if account_id is None:
        raise NotFound(f"project {project_id} belonged to no billing account at {at.isoformat()}")
    return PayingAccountOut(project_id=project_id, at=at, billing_account_id=account_id)
