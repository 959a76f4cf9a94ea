"""HTTP routes of the accounts service: input -> use case -> output.

Accounts authorizes callers from its own `account_members` table (it owns the members), not
from the replica the other services keep.
"""

from datetime import datetime
from typing import Annotated

from billing_runtime.auth import CurrentCaller
from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, create_service_app
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from accounts.adapters.ids import RandomAccountIds
from accounts.bootstrap import bootstrap
from accounts.domain.billing_accounts import AccountStatus, AccountSummary, Role
from accounts.domain.errors import InvalidBillingAccount
from accounts.domain.ids import AccountIds
from accounts.settings import AccountsSettings
from accounts.use_cases.create_billing_account import CreateBillingAccount, create_billing_account
from accounts.use_cases.get_account import get_account
from accounts.use_cases.list_my_accounts import list_my_accounts

router = APIRouter(prefix="/v1/billing-accounts", tags=["billing accounts"])


class NewBillingAccount(BaseModel):
    name: str = Field(description="Display name, 1 to 200 characters.", examples=["Acme GmbH"])
    currency: str = Field(description="ISO 4217 code the account is invoiced in.", examples=["EUR"])
    billing_email: str = Field(description="Where invoices and payment emails go.", examples=["billing@acme.example"])


class BillingAccountOut(BaseModel):
    id: str = Field(examples=["ba_3f9c0a7d2e4b6c81"])
    name: str
    currency: str
    status: AccountStatus
    billing_email: str
    role: Role = Field(description="The caller's role on the account.")
    created_at: datetime

    @classmethod
    def of(cls, account: AccountSummary) -> "BillingAccountOut":
        return cls(
            id=account.id,
            name=account.name,
            currency=account.currency,
            status=account.status,
            billing_email=account.billing_email,
            role=account.role,
            created_at=account.created_at,
        )


def _runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def _clock(request: Request) -> Clock:
    return request.app.state.clock


def _account_ids(request: Request) -> AccountIds:
    return request.app.state.account_ids


Runtime = Annotated[ServiceRuntime, Depends(_runtime)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BillingAccountOut)
async def create(
    body: NewBillingAccount,
    caller: CurrentCaller,
    runtime: Runtime,
    response: Response,
    clock: Annotated[Clock, Depends(_clock)],
    ids: Annotated[AccountIds, Depends(_account_ids)],
) -> BillingAccountOut:
    cmd = CreateBillingAccount(caller=caller, name=body.name, currency=body.currency, billing_email=body.billing_email)
    try:
        async with runtime.engine.begin() as tx:
            account = await create_billing_account(cmd, tx, clock, ids)
    except InvalidBillingAccount as error:
        problems = [
            {"loc": ["body", field], "msg": message, "type": "value_error"} for field, message in error.problems.items()
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problems) from None
    response.headers["Location"] = f"{router.prefix}/{account.id}"
    return BillingAccountOut.of(account)


@router.get("", response_model=list[BillingAccountOut])
async def list_mine(caller: CurrentCaller, runtime: Runtime) -> list[BillingAccountOut]:
    async with runtime.engine.connect() as connection:
        accounts = await list_my_accounts(caller, connection)
    return [BillingAccountOut.of(account) for account in accounts]


@router.get(
    "/{billing_account_id}",
    response_model=BillingAccountOut,
    responses={404: {"description": "No such account, or the caller is not a member"}},
)
async def read(billing_account_id: str, caller: CurrentCaller, runtime: Runtime) -> BillingAccountOut:
    async with runtime.engine.connect() as connection:
        account = await get_account(billing_account_id, caller, connection)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"billing account {billing_account_id} not found")
    return BillingAccountOut.of(account)


def create_app(
    settings: AccountsSettings | None = None, *, clock: Clock | None = None, ids: AccountIds | None = None
) -> FastAPI:
    """The accounts app; tests may hand it a clock and an id generator."""
    app = create_service_app(bootstrap(settings or AccountsSettings()), routers=[router])
    app.state.clock = clock or SystemClock()
    app.state.account_ids = ids or RandomAccountIds()
    return app
