"""What invoicing keeps of each billing account: the currency it is invoiced in."""

from collections.abc import Sequence

from sqlalchemy import Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import ACCOUNT_REPLICA


async def save_currency(tx: AsyncConnection, billing_account_id: str, currency: str, version: int) -> bool:
    """Keep the snapshot's currency unless a newer snapshot is already held; whether it was kept."""
    statement = insert(ACCOUNT_REPLICA).values(billing_account_id=billing_account_id, currency=currency, version=version)
    kept = await tx.execute(
        statement.on_conflict_do_update(
            index_elements=["billing_account_id"],
            set_={"currency": currency, "version": version},
            where=ACCOUNT_REPLICA.c.version < version,
        ).returning(ACCOUNT_REPLICA.c.version)
    )
    return kept.first() is not None


async def currency_of(tx: AsyncConnection, billing_account_id: str) -> str | None:
    query = select(ACCOUNT_REPLICA.c.currency).where(ACCOUNT_REPLICA.c.billing_account_id == billing_account_id)
    return (await tx.execute(query)).scalar()


async def currencies_of(tx: AsyncConnection, billing_account_ids: Sequence[str]) -> dict[str, str]:
    """`currency_of` for many accounts in one query; accounts without a snapshot are left out."""
    R = ACCOUNT_REPLICA
    query = select(R.c.billing_account_id, R.c.currency).where(
        R.c.billing_account_id == any_(bindparam("accounts", list(billing_account_ids), type_=ARRAY(Text))))
    return {row.billing_account_id: row.currency for row in await tx.execute(query)}
