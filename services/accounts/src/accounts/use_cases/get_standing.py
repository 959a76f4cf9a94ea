"""May the account deploy, and why not: for its members and for platform services."""

from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.replicas import has_unpaid_invoice, primary_card
from accounts.domain.billing_accounts import Role
from accounts.domain.standing import Standing, standing
from accounts.use_cases.access import Principal, account_for


async def get_standing(billing_account_id: str, principal: Principal, connection: AsyncConnection) -> Standing:
    account = await account_for(connection, billing_account_id, principal, Role.VIEWER)
    return standing(
        account.status,
        has_primary_payment_method=await primary_card(connection, account.id) is not None,
        has_unpaid_invoice=await has_unpaid_invoice(connection, account.id),
    )
