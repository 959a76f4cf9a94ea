"""One billing account, as a member sees it: its details, card on file and what it owes."""

from dataclasses import dataclass

from billing_runtime.auth import Caller
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.replicas import outstanding_balance, primary_card
from accounts.domain.billing_accounts import AccountSummary, BillingAccount, Role, summary_for
from accounts.domain.standing import PrimaryCard
from accounts.use_cases.access import account_for


@dataclass(frozen=True)
class AccountOverview:
    summary: AccountSummary
    account: BillingAccount
    primary_card: PrimaryCard | None
    outstanding: dict[str, int]
    """Minor units owed on finalized, unpaid invoices, per currency."""


async def get_account_overview(billing_account_id: str, caller: Caller, connection: AsyncConnection) -> AccountOverview:
    account = await account_for(connection, billing_account_id, caller, Role.VIEWER)
    role = account.role_of(caller.email)
    assert role is not None
    return AccountOverview(
        summary=summary_for(account, role),
        account=account,
        primary_card=await primary_card(connection, account.id),
        outstanding=await outstanding_balance(connection, account.id),
    )
