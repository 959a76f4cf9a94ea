"""HTTP routes of the accounts service: input -> use case -> output. Refusals of the rules
are mapped to 4xx in `errors.py`.

Accounts authorizes callers from its own `account_members` table (it owns the members), not
from the replica the other services keep.
"""

from datetime import datetime

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import create_service_app
from fastapi import APIRouter, FastAPI, Response, status
from pydantic import BaseModel, Field

from accounts.adapters.ids import RandomAccountIds
from accounts.bootstrap import bootstrap
from accounts.domain.billing_accounts import AccountStatus, AccountSummary, Role, summary_for
from accounts.domain.ids import AccountIds
from accounts.entrypoints import http_details, http_members, http_projects, http_standing
from accounts.entrypoints.dependencies import AccountIdsDep, ClockDep, RequestBody, Runtime
from accounts.entrypoints.errors import handle_refusals
from accounts.entrypoints.http_details import BillingDetailsOut
from accounts.entrypoints.principals import Person
from accounts.settings import AccountsSettings
from accounts.use_cases.create_billing_account import CreateBillingAccount, create_billing_account
from accounts.use_cases.get_account_overview import get_account_overview
from accounts.use_cases.list_my_accounts import list_my_accounts
from accounts.use_cases.rename_account import rename_account

router = APIRouter(prefix="/v1/billing-accounts", tags=["billing accounts"])
NOT_FOUND = {404: {"description": "No such account, or the caller is not a member"}}


class NewBillingAccount(RequestBody):
    name: str = Field(description="Display name, 1 to 200 characters.", examples=["Acme GmbH"])
    currency: str = Field(description="ISO 4217 code the account is invoiced in.", examples=["EUR"])
    billing_email: str = Field(description="Where invoices and payment emails go.", examples=["billing@acme.example"])


class AccountRename(RequestBody):
    name: str = Field(description="The new display name, 1 to 200 characters.", examples=["Acme Europe GmbH"])


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
            id=account.id, name=account.name, currency=account.currency, status=account.status,
            billing_email=account.billing_email, role=account.role, created_at=account.created_at,
        )


class CardOut(BaseModel):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class BalanceOut(BaseModel):
    currency: str
    amount: int = Field(description="Minor units owed on finalized, unpaid invoices.")


class AccountOverviewOut(BillingAccountOut):
    billing_emails: list[str]
    billing_details: BillingDetailsOut | None
    primary_card: CardOut | None = Field(description="The card charged by default, as payments last published it.")
    outstanding_balance: list[BalanceOut] = Field(description="Owed per currency; the account's currency comes first.")
    deletion_requested_at: datetime | None
    version: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BillingAccountOut)
async def create(
    body: NewBillingAccount, caller: Person, runtime: Runtime, response: Response, clock: ClockDep, ids: AccountIdsDep
) -> BillingAccountOut:
    cmd = CreateBillingAccount(caller=caller, name=body.name, currency=body.currency, billing_email=body.billing_email)
    async with runtime.engine.begin() as tx:
        account = await create_billing_account(cmd, tx, clock, ids)
    response.headers["Location"] = f"{router.prefix}/{account.id}"
    return BillingAccountOut.of(account)


@router.get("", response_model=list[BillingAccountOut])
async def list_mine(caller: Person, runtime: Runtime) -> list[BillingAccountOut]:
    async with runtime.engine.connect() as connection:
        accounts = await list_my_accounts(caller, connection)
    return [BillingAccountOut.of(account) for account in accounts]


@router.get("/{billing_account_id}", response_model=AccountOverviewOut, responses=NOT_FOUND)
async def read(billing_account_id: str, caller: Person, runtime: Runtime) -> AccountOverviewOut:
    async with runtime.engine.connect() as connection:
        overview = await get_account_overview(billing_account_id, caller, connection)
    account = overview.account
    balances = {account.currency: 0} | overview.outstanding
    card = overview.primary_card
    return AccountOverviewOut(
        **BillingAccountOut.of(overview.summary).model_dump(),
        billing_emails=list(account.billing_emails),
        billing_details=BillingDetailsOut.of(account.billing_details) if account.billing_details else None,
        primary_card=CardOut(brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year) if card else None,
        outstanding_balance=[BalanceOut(currency=c, amount=a) for c, a in balances.items()],
        deletion_requested_at=account.deletion_requested_at,
        version=account.version,
    )


@router.patch("/{billing_account_id}", response_model=BillingAccountOut, responses=NOT_FOUND)
async def rename(billing_account_id: str, body: AccountRename, caller: Person, runtime: Runtime, clock: ClockDep) -> BillingAccountOut:
    async with runtime.engine.begin() as tx:
        account = await rename_account(billing_account_id, body.name, caller, tx, clock)
    role = account.role_of(caller.email)
    assert role is not None
    return BillingAccountOut.of(summary_for(account, role))


def create_app(
    settings: AccountsSettings | None = None, *, clock: Clock | None = None, ids: AccountIds | None = None
) -> FastAPI:
    """The accounts app; tests may hand it a clock and an id generator."""
    clock = clock or SystemClock()
    routers = [router, http_details.router, http_members.router, http_projects.router, http_standing.router]
    app = create_service_app(bootstrap(settings or AccountsSettings(), clock), routers=routers)
    handle_refusals(app)
    app.state.clock = clock
    app.state.account_ids = ids or RandomAccountIds()
    return app
