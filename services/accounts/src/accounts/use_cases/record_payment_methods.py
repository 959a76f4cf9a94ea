"""Keep the latest payment-method snapshot of each account (payments publishes one per change)."""

from billing_contracts import Envelope, PaymentMethodsChangedV1
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.replicas import apply_payment_methods


async def record_payment_methods(envelopes: list[Envelope[PaymentMethodsChangedV1]], tx: AsyncConnection) -> None:
    """Apply each snapshot unless a newer one is held (snapshots may come late or twice)."""
    for envelope in envelopes:
        await apply_payment_methods(tx, envelope.data)
