"""The cards an account has on file, oldest first."""

from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters import wallet
from payments.domain.payment_methods import PaymentMethod


async def list_payment_methods(connection: AsyncConnection, billing_account_id: str) -> list[PaymentMethod]:
    return await wallet.payment_methods_of(connection, billing_account_id)
