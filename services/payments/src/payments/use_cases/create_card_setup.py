"""A member starts adding a card in the browser: a Stripe SetupIntent for Stripe.js to confirm."""

from sqlalchemy.ext.asyncio import AsyncEngine

from payments.adapters import wallet
from payments.domain.payment_methods import CardSetup
from payments.domain.ports import PaymentGateway


async def stripe_customer(engine: AsyncEngine, gateway: PaymentGateway, billing_account_id: str) -> str:
    """The account's customer at Stripe, created (and kept) the first time it is needed. Two
    first requests at once may each create one; the first stored is the account's."""
    async with engine.connect() as connection:
        customer_id = await wallet.stripe_customer_of(connection, billing_account_id)
        email = await wallet.contact_email_of(connection, billing_account_id)
    if customer_id is not None:
        return customer_id
    created = await gateway.ensure_customer(billing_account_id, email)
    async with engine.begin() as tx:
        return await wallet.keep_stripe_customer(tx, billing_account_id, created)


async def create_card_setup(engine: AsyncEngine, gateway: PaymentGateway, billing_account_id: str) -> CardSetup:
    """The browser confirms the SetupIntent with its `client_secret`, then adds the resulting
    payment method by id. Raises `PaymentProviderUnavailable`."""
    return await gateway.create_card_setup(await stripe_customer(engine, gateway, billing_account_id))
