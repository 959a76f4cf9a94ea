"""A customer opens a billing account and becomes its owner."""

from dataclasses import dataclass

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.billing_accounts import add_billing_account
from accounts.adapters.snapshots import publish_account_snapshot
from accounts.domain.billing_accounts import AccountSummary, Member, Role, open_billing_account
from accounts.domain.ids import AccountIds


@dataclass(frozen=True)
class CreateBillingAccount:
    caller: Caller
    name: str
    currency: str
    billing_email: str


async def create_billing_account(
    cmd: CreateBillingAccount, tx: AsyncConnection, clock: Clock, ids: AccountIds
) -> AccountSummary:
    """Write the account (version 1) and its owner, and stage its first snapshot, all in `tx`.

    Raises `InvalidBillingAccount` naming every bad field; nothing is written then.
    """
    account = open_billing_account(
        ids.new_account_id(),
        name=cmd.name,
        currency=cmd.currency,
        billing_email=cmd.billing_email,
        owner=Member(email=cmd.caller.email, role=Role.OWNER, user_id=cmd.caller.subject),
        now=clock.now(),
    )
    await add_billing_account(tx, account)
    await publish_account_snapshot(tx, account)
    return AccountSummary(
        id=account.id,
        name=account.name,
        currency=account.currency,
        status=account.status,
        billing_email=account.billing_email,
        role=Role.OWNER,
        created_at=account.created_at,
    )
