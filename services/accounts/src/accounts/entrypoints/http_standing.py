"""Standing (may the account deploy, and why not) and the owner's deletion request."""

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from accounts.domain.billing_accounts import AccountStatus, BillingAccount
from accounts.domain.standing import Reason
from accounts.entrypoints.dependencies import ClockDep, Runtime
from accounts.entrypoints.principals import Person, Principal
from accounts.use_cases.get_standing import get_standing
from accounts.use_cases.request_deletion import cancel_account_deletion, request_account_deletion

router = APIRouter(prefix="/v1/billing-accounts/{billing_account_id}", tags=["standing"])


class StandingOut(BaseModel):
    may_deploy: bool
    reasons: list[Reason] = Field(
        description="Why not: no_payment_method, deletion_requested, closed, overdue. Empty when it may.",
        examples=[["no_payment_method"]],
    )


class DeletionOut(BaseModel):
    status: AccountStatus
    deletion_requested_at: datetime | None

    @classmethod
    def of(cls, account: BillingAccount) -> "DeletionOut":
        return cls(status=account.status, deletion_requested_at=account.deletion_requested_at)


@router.get("/standing", response_model=StandingOut)
async def standing(billing_account_id: str, principal: Principal, runtime: Runtime) -> StandingOut:
    """For members, and for platform services (service token) deciding whether to deploy."""
    async with runtime.engine.connect() as connection:
        answer = await get_standing(billing_account_id, principal, connection)
    return StandingOut(may_deploy=answer.may_deploy, reasons=list(answer.reasons))


@router.post("/deletion-request", response_model=DeletionOut, status_code=status.HTTP_202_ACCEPTED)
async def request_deletion(billing_account_id: str, caller: Person, runtime: Runtime, clock: ClockDep) -> DeletionOut:
    """Owner only. The account stops deploying now and closes once nothing is owed."""
    async with runtime.engine.begin() as tx:
        return DeletionOut.of(await request_account_deletion(billing_account_id, caller, tx, clock))


@router.delete("/deletion-request", response_model=DeletionOut)
async def cancel_deletion(billing_account_id: str, caller: Person, runtime: Runtime, clock: ClockDep) -> DeletionOut:
    """Owner only, while the request is pending (the account is not closed yet)."""
    async with runtime.engine.begin() as tx:
        return DeletionOut.of(await cancel_account_deletion(billing_account_id, caller, tx, clock))
