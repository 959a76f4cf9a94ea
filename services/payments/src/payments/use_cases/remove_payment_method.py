"""A member takes a card off file: detached at Stripe, then forgotten here."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import wallet
from payments.adapters.events import publish
from payments.domain.errors import PaymentMethodIsPrimary, PaymentMethodNotFound
from payments.domain.payment_methods import payment_methods_snapshot
from payments.domain.ports import PaymentGateway

MAKE_ANOTHER_PRIMARY = "This is the primary card: make another card primary first, then remove this one."


async def remove_payment_method(
    engine: AsyncEngine, gateway: PaymentGateway, clock: Clock, billing_account_id: str, payment_method_id: str
) -> None:
    """Detach the card at Stripe and delete it, publishing the snapshot, in one transaction
    that holds the account's cards (so it cannot become primary meanwhile): when Stripe fails,
    nothing changes. Raises `PaymentMethodNotFound`, `PaymentMethodIsPrimary` or
    `PaymentProviderUnavailable`."""
    async with engine.begin() as tx:
        version = await wallet.next_payment_methods_version(tx, billing_account_id)
        methods = await wallet.payment_methods_of(tx, billing_account_id)
        card = next((m for m in methods if m.id == payment_method_id), None)
        if card is None:
            raise PaymentMethodNotFound(f"There is no card {payment_method_id} on file for this billing account.")
        if card.is_primary:
            raise PaymentMethodIsPrimary(MAKE_ANOTHER_PRIMARY)
        await gateway.detach_card(payment_method_id)
        await wallet.remove_payment_method(tx, payment_method_id)
        remaining = [m for m in methods if m.id != payment_method_id]
        await publish(tx, [payment_methods_snapshot(billing_account_id, remaining, version, clock.now())])
