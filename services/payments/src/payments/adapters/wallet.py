"""An account's wallet in PostgreSQL: its Stripe customer, its cards and its contact email."""

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from payments.adapters.tables import ACCOUNT_CONTACTS, PAYMENT_METHOD_VERSIONS, PAYMENT_METHODS, STRIPE_CUSTOMERS
from payments.domain.payment_methods import CardDetails, PaymentMethod


async def stripe_customer_of(connection: AsyncConnection, billing_account_id: str) -> str | None:
    query = select(STRIPE_CUSTOMERS.c.stripe_customer_id).where(STRIPE_CUSTOMERS.c.billing_account_id == billing_account_id)
    return await connection.scalar(query)


async def keep_stripe_customer(transaction: AsyncConnection, billing_account_id: str, customer_id: str) -> str:
    """Store the account's customer unless one is stored already; returns the stored one."""
    await transaction.execute(
        upsert(STRIPE_CUSTOMERS)
        .values(billing_account_id=billing_account_id, stripe_customer_id=customer_id)
        .on_conflict_do_nothing(index_elements=["billing_account_id"])
    )
    query = select(STRIPE_CUSTOMERS.c.stripe_customer_id).where(STRIPE_CUSTOMERS.c.billing_account_id == billing_account_id)
    return (await transaction.execute(query)).scalar_one()


async def contact_email_of(connection: AsyncConnection, billing_account_id: str) -> str | None:
    query = select(ACCOUNT_CONTACTS.c.email).where(ACCOUNT_CONTACTS.c.billing_account_id == billing_account_id)
    return await connection.scalar(query)


async def keep_contact_email(transaction: AsyncConnection, billing_account_id: str, email: str | None) -> None:
    await transaction.execute(
        upsert(ACCOUNT_CONTACTS)
        .values(billing_account_id=billing_account_id, email=email)
        .on_conflict_do_update(index_elements=["billing_account_id"], set_={"email": email})
    )


async def next_payment_methods_version(transaction: AsyncConnection, billing_account_id: str) -> int:
    """The version of the account's next snapshot; holds the account's row until the commit, so
    changes to one account's cards are made one at a time."""
    statement = (
        upsert(PAYMENT_METHOD_VERSIONS)
        .values(billing_account_id=billing_account_id, version=1)
        .on_conflict_do_update(
            index_elements=["billing_account_id"], set_={"version": PAYMENT_METHOD_VERSIONS.c.version + 1}
        )
        .returning(PAYMENT_METHOD_VERSIONS.c.version)
    )
    return (await transaction.execute(statement)).scalar_one()


def _payment_method(row: Any) -> PaymentMethod:
    return PaymentMethod(
        id=row.id,
        billing_account_id=row.billing_account_id,
        card=CardDetails(brand=row.brand, last4=row.last4, exp_month=row.exp_month, exp_year=row.exp_year),
        is_primary=row.is_primary,
        created_at=row.created_at,
    )


async def payment_methods_of(connection: AsyncConnection, billing_account_id: str) -> list[PaymentMethod]:
    query = (
        select(PAYMENT_METHODS)
        .where(PAYMENT_METHODS.c.billing_account_id == billing_account_id)
        .order_by(PAYMENT_METHODS.c.created_at, PAYMENT_METHODS.c.id)
    )
    return [_payment_method(row) for row in (await connection.execute(query)).all()]


async def payment_method(connection: AsyncConnection, payment_method_id: str) -> PaymentMethod | None:
    row = (await connection.execute(select(PAYMENT_METHODS).where(PAYMENT_METHODS.c.id == payment_method_id))).first()
    return None if row is None else _payment_method(row)


async def add_payment_method(transaction: AsyncConnection, method: PaymentMethod) -> None:
    await transaction.execute(
        PAYMENT_METHODS.insert().values(
            id=method.id, billing_account_id=method.billing_account_id, brand=method.card.brand,
            last4=method.card.last4, exp_month=method.card.exp_month, exp_year=method.card.exp_year,
            is_primary=method.is_primary, created_at=method.created_at,
        )
    )


async def make_primary(transaction: AsyncConnection, billing_account_id: str, payment_method_id: str) -> None:
    """The card becomes the account's primary one, the former primary an ordinary card."""
    await transaction.execute(
        update(PAYMENT_METHODS)
        .where(PAYMENT_METHODS.c.billing_account_id == billing_account_id, PAYMENT_METHODS.c.is_primary)
        .values(is_primary=False)
    )
    await transaction.execute(
        update(PAYMENT_METHODS)
        .where(PAYMENT_METHODS.c.billing_account_id == billing_account_id, PAYMENT_METHODS.c.id == payment_method_id)
        .values(is_primary=True)
    )


async def remove_payment_method(transaction: AsyncConnection, payment_method_id: str) -> None:
    await transaction.execute(delete(PAYMENT_METHODS).where(PAYMENT_METHODS.c.id == payment_method_id))
