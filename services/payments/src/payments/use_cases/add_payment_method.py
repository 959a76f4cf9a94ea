"""A member puts a card on file: the card a browser handed to Stripe, by its payment method id."""

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import wallet
from payments.adapters.events import publish
from payments.domain.errors import CardRefused
from payments.domain.payment_methods import PaymentMethod, becomes_primary, payment_methods_snapshot
from payments.domain.ports import PaymentGateway

ON_FILE_ELSEWHERE = "This card is already on file for another billing account."


async def add_payment_method(
    engine: AsyncEngine, gateway: PaymentGateway, clock: Clock, billing_account_id: str, payment_method_id: str
) -> PaymentMethod:
    """Attach the card to the account's Stripe customer (created on the first card) and keep
    its details; the account's first card becomes its primary one. Publishes the account's
    `payment_methods.changed` snapshot with the rows. Adding a card already on file returns it.

    Raises `CardRefused`, `PaymentMethodNotFound` or `PaymentProviderUnavailable`.
    """
    async with engine.connect() as connection:
        known = await wallet.payment_method(connection, payment_method_id)
        customer_id = await wallet.stripe_customer_of(connection, billing_account_id)
        email = await wallet.contact_email_of(connection, billing_account_id)
    if known is not None:
        if known.billing_account_id != billing_account_id:
            raise CardRefused(ON_FILE_ELSEWHERE)
        return known
    if customer_id is None:
        # Two first cards at once may each create a customer; the first one stored is the
        # account's, and both cards are attached to it.
        created = await gateway.ensure_customer(billing_account_id, email)
        async with engine.begin() as tx:
            customer_id = await wallet.keep_stripe_customer(tx, billing_account_id, created)
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
            methods.append(method)
        await publish(tx, [payment_methods_snapshot(billing_account_id, methods, version, clock.now())])
    return method
