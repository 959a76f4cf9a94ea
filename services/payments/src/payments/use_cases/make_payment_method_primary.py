"""A member chooses which card on file invoices are charged to."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import charge_rows, wallet
from payments.adapters.events import publish
from payments.domain.errors import PaymentMethodNotFound
from payments.domain.payment_methods import PaymentMethod, payment_methods_snapshot


async def make_payment_method_primary(
    engine: AsyncEngine, clock: Clock, billing_account_id: str, payment_method_id: str
) -> PaymentMethod:
    """Make the account's card primary, publish the snapshot, and try the account's due charges
    at once with it. A card already primary changes nothing. Raises `PaymentMethodNotFound`
    for a card not on file for this account (another account's cards are not confirmed)."""
    async with engine.connect() as connection:
        chosen = _card(await wallet.payment_methods_of(connection, billing_account_id), payment_method_id)
    if chosen.is_primary:
        return chosen  # nothing changes: no new version, no snapshot
    async with engine.begin() as tx:
        version = await wallet.next_payment_methods_version(tx, billing_account_id)  # holds the account's cards
        _card(await wallet.payment_methods_of(tx, billing_account_id), payment_method_id)  # still on file?
        await wallet.make_primary(tx, billing_account_id, payment_method_id)
        methods = await wallet.payment_methods_of(tx, billing_account_id)
        now = clock.now()
        await charge_rows.bring_retries_forward(tx, billing_account_id, now)
        await publish(tx, [payment_methods_snapshot(billing_account_id, methods, version, now)])
    return next(m for m in methods if m.id == payment_method_id)


def _card(methods: list[PaymentMethod], payment_method_id: str) -> PaymentMethod:
    chosen = next((m for m in methods if m.id == payment_method_id), None)
    if chosen is None:
        raise PaymentMethodNotFound(f"There is no card {payment_method_id} on file for this billing account.")
    return chosen
