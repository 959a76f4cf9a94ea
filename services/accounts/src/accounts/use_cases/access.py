"""Finding the account a caller names, and deciding whether they may act on it.

Accounts authorizes from its own `account_members` (it owns them). A person is authorized by
role; a platform service (service token) by scope, on any account that exists.
"""

from billing_runtime.auth import Caller
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.billing_accounts import billing_account, save_billing_account
from accounts.adapters.snapshots import publish_account_snapshot
from accounts.domain.billing_accounts import BillingAccount, Role, require_role
from accounts.domain.errors import AccountNotFound, NotAllowed
from accounts.domain.principals import ServicePrincipal

Principal = Caller | ServicePrincipal


async def account_for(
    connection: AsyncConnection, billing_account_id: str, principal: Principal, least: Role,
    *, scope: str | None = None, for_update: bool = False,
) -> BillingAccount:
    """The account, if `principal` may act on it with `least` role (a person) or `scope` (a service).

    `AccountNotFound` for non-members and unknown or malformed ids alike; `NotAllowed` when the
    role or scope is not enough. A service without a `scope` required may only read.
    """
    account = await billing_account(connection, billing_account_id, for_update=for_update)
    if isinstance(principal, ServicePrincipal):
        if account is None:
            raise AccountNotFound(billing_account_id)
        if (scope is None and least is not Role.VIEWER) or (scope is not None and not principal.may(scope)):
            raise NotAllowed(f"this service token lacks the {scope or 'needed'} scope")
        return account
    require_role(account, billing_account_id, principal.email, least)
    assert account is not None
    return account


async def commit_change(tx: AsyncConnection, before: BillingAccount, after: BillingAccount) -> None:
    """Write the changed account and stage its new snapshot in the same transaction; nothing
    is written or published when nothing changed."""
    if after == before:
        return
    await save_billing_account(tx, before, after)
    await publish_account_snapshot(tx, after)
