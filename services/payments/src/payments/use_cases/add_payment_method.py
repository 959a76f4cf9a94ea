"""A member puts a card on file: the card a browser handed to Stripe, by its payment method id."""

from dataclasses import replace

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import charge_rows, wallet
from payments.adapters.events import publish
from payments.domain.errors import CardRefused
from payments.domain.payment_methods import PaymentMethod, becomes_primary, payment_methods_snapshot
from payments.domain.ports import PaymentGateway
from payments.use_cases.create_card_setup import stripe_customer

ON_FILE_ELSEWHERE = "This card is already on file for another billing account."


async def add_payment_method(
    engine: AsyncEngine, gateway: PaymentGateway, clock: Clock, billing_account_id: str, payment_method_id: str,
    make_primary: bool = False,
) -> PaymentMethod:
    """Attach the card to the account's Stripe customer (created on the first card) and keep
    its details; the account's first card (or one added with `make_primary`) becomes its
    primary one, and then its due charges are tried at once. Publishes the account's `payment_methods.changed` snapshot with the rows.
    Adding a card already on file returns it.

    Raises `CardRefused`, `PaymentMethodNotFound` or `PaymentProviderUnavailable`.
    """
    async with engine.connect() as connection:
        known = await wallet.payment_method(connection, payment_method_id)
    if known is not None:
        if known.billing_account_id != billing_account_id:
            raise CardRefused(ON_FILE_ELSEWHERE)
        return known
    customer_id = await stripe_customer(engine, gateway, billing_account_id)
    card = await gateway.attach_card(customer_id, payment_method_id)

    async with engine.begin() as tx:
        version = await wallet.next_payment_methods_version(tx, billing_account_id)
        methods = await wallet.payment_methods_of(tx, billing_account_id)
        method = next((m for m in methods if m.id == payment_method_id), None)
        if method is None:
            if await wallet.payment_method(tx, payment_method_id) is not None:
                raise CardRefused(ON_FILE_ELSEWHERE)
            method = PaymentMethod(payment_method_id, billing_account_id, card, becomes_primary(methods), clock.now())
            await wallet.add_payment_method(tx, method)
            if make_primary and not method.is_primary:
                await wallet.make_primary(tx, billing_account_id, method.id)
                method = replace(method, is_primary=True)
                methods = [replace(m, is_primary=False) for m in methods]
            methods.append(method)
            if method.is_primary:
                await charge_rows.bring_retries_forward(tx, billing_account_id, clock.now())
        await publish(tx, [payment_methods_snapshot(billing_account_id, methods, version, clock.now())])
    return method
