"""An admin or owner gives the billing details every invoice of the account defaults to."""

from typing import Any

from billing_runtime.auth import Caller
from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import BillingAccount, Role, with_billing_details
from accounts.domain.billing_details import billing_details
from accounts.use_cases.access import account_for, commit_change


async def set_billing_details(
    billing_account_id: str, fields: dict[str, Any], caller: Caller, tx: AsyncConnection, clock: Clock
) -> BillingAccount:
    """Replace the details (`fields` flat, as `domain.billing_details.billing_details` reads them).

    The snapshot's `billing_emails` become the details' emails.
    """
    account = await account_for(tx, billing_account_id, caller, Role.ADMIN, for_update=True)
    changed = with_billing_details(account, billing_details(fields), clock.now())
    await commit_change(tx, account, changed)
    return changed
