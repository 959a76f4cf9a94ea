"""Replicas of payments' and invoicing's events, kept to decide an account's standing and to
show its card and balance. Writers run inside the consumer's transaction; nothing commits here."""

from billing_contracts import PaymentMethodsChangedV1
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.tables import INVOICES_REPLICA, PAYMENT_METHODS_REPLICA
from accounts.domain.standing import OUTSTANDING, InvoiceStatus, InvoiceStatusChange, PrimaryCard, progress


async def apply_payment_methods(tx: AsyncConnection, snapshot: PaymentMethodsChangedV1) -> bool:
    """Keep the snapshot unless a newer one is held; returns whether it was applied."""
    primary = snapshot.primary
    values = {
        "has_primary": snapshot.has_primary,
        "brand": primary.brand if primary else None,
        "last4": primary.last4 if primary else None,
        "exp_month": primary.exp_month if primary else None,
        "exp_year": primary.exp_year if primary else None,
        "count": snapshot.count,
        "version": snapshot.version,
    }
    applied = await tx.execute(
        upsert(PAYMENT_METHODS_REPLICA)
        .values(billing_account_id=snapshot.billing_account_id, **values)
        .on_conflict_do_update(
            index_elements=["billing_account_id"], set_=values,
            where=PAYMENT_METHODS_REPLICA.c.version < snapshot.version,
        )
        .returning(PAYMENT_METHODS_REPLICA.c.version)
    )
    return applied.first() is not None


async def apply_invoice_status(tx: AsyncConnection, change: InvoiceStatusChange) -> bool:
    """Record the invoice's status unless it already went further (paid and void are final)."""
    values = {
        "billing_account_id": change.billing_account_id,
        "invoice_number": change.invoice_number,
        "status": change.status.value,
        "progress": progress(change.status),
        "amount": change.amount,
        "currency": change.currency,
        "changed_at": change.changed_at,
    }
    applied = await tx.execute(
        upsert(INVOICES_REPLICA)
        .values(invoice_id=change.invoice_id, **values)
        .on_conflict_do_update(
            index_elements=["invoice_id"], set_=values, where=INVOICES_REPLICA.c.progress < progress(change.status)
        )
        .returning(INVOICES_REPLICA.c.invoice_id)
    )
    return applied.first() is not None


async def primary_card(connection: AsyncConnection, billing_account_id: str) -> PrimaryCard | None:
    row = (
        await connection.execute(
            select(PAYMENT_METHODS_REPLICA).where(PAYMENT_METHODS_REPLICA.c.billing_account_id == billing_account_id)
        )
    ).first()
    if row is None or not row.has_primary:
        return None
    return PrimaryCard(row.brand, row.last4, row.exp_month, row.exp_year)


async def outstanding_balance(connection: AsyncConnection, billing_account_id: str) -> dict[str, int]:
    """What the account owes on finalized, unpaid invoices, per currency, in minor units."""
    rows = await connection.execute(
        select(INVOICES_REPLICA.c.currency, func.sum(INVOICES_REPLICA.c.amount))
        .where(
            INVOICES_REPLICA.c.billing_account_id == billing_account_id,
            INVOICES_REPLICA.c.status.in_([s.value for s in OUTSTANDING]),
        )
        .group_by(INVOICES_REPLICA.c.currency)
    )
    return {currency: int(total) for currency, total in rows}


async def has_unpaid_invoice(connection: AsyncConnection, billing_account_id: str) -> bool:
    """Whether an invoice of the account was given up on (`not_paid`) and is not settled since."""
    query = select(INVOICES_REPLICA.c.invoice_id).where(
        INVOICES_REPLICA.c.billing_account_id == billing_account_id,
        INVOICES_REPLICA.c.status == InvoiceStatus.NOT_PAID.value,
    )
    return (await connection.execute(query.limit(1))).first() is not None
