"""What invoicing keeps of each billing account: its currency and who its invoices are addressed to."""

from collections.abc import Sequence

from sqlalchemy import Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import ACCOUNT_REPLICA
from invoicing.domain.billed_to import BilledTo


async def save_account(
    tx: AsyncConnection, billing_account_id: str, currency: str, billed_to: BilledTo, version: int,
) -> bool:
    """Keep the snapshot's state unless a newer snapshot is already held; whether it was kept."""
    state = {"currency": currency, "billed_to": billed_to.to_json(), "version": version}
    statement = insert(ACCOUNT_REPLICA).values(billing_account_id=billing_account_id, **state)
    kept = await tx.execute(
        statement.on_conflict_do_update(
            index_elements=["billing_account_id"], set_=state, where=ACCOUNT_REPLICA.c.version < version,
        ).returning(ACCOUNT_REPLICA.c.version)
    )
    return kept.first() is not None


async def currency_of(tx: AsyncConnection, billing_account_id: str) -> str | None:
    query = select(ACCOUNT_REPLICA.c.currency).where(ACCOUNT_REPLICA.c.billing_account_id == billing_account_id)
    return (await tx.execute(query)).scalar()


async def billed_to_of(tx: AsyncConnection, billing_account_id: str) -> BilledTo | None:
    query = select(ACCOUNT_REPLICA.c.billed_to).where(ACCOUNT_REPLICA.c.billing_account_id == billing_account_id)
    stored = (await tx.execute(query)).scalar()
    return BilledTo.from_json(stored) if stored else None


async def currencies_of(tx: AsyncConnection, billing_account_ids: Sequence[str]) -> dict[str, str]:
    """`currency_of` for many accounts in one query; accounts without a snapshot are left out."""
    R = ACCOUNT_REPLICA
    query = select(R.c.billing_account_id, R.c.currency).where(
        R.c.billing_account_id == any_(bindparam("accounts", list(billing_account_ids), type_=ARRAY(Text))))
    return {row.billing_account_id: row.currency for row in await tx.execute(query)}


async def billed_tos_of(tx: AsyncConnection, billing_account_ids: Sequence[str]) -> dict[str, BilledTo]:
    """`billed_to_of` for many accounts in one query; accounts without billing details are left out."""
    R = ACCOUNT_REPLICA
    query = select(R.c.billing_account_id, R.c.billed_to).where(
        R.c.billed_to.is_not(None),
        R.c.billing_account_id == any_(bindparam("accounts", list(billing_account_ids), type_=ARRAY(Text))))
    return {row.billing_account_id: BilledTo.from_json(row.billed_to) for row in await tx.execute(query)}
