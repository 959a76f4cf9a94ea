"""What invoicing keeps of each billing account: its currency and who its invoices are addressed to."""

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import ACCOUNT_REPLICA, among
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


class ReplicatedAccount(NamedTuple):
    currency: str
    billed_to: BilledTo | None


async def accounts_of(tx: AsyncConnection, billing_account_ids: Collection[str]) -> dict[str, ReplicatedAccount]:
    """What is kept of each of the accounts, in one query; accounts without a snapshot are left out."""
    R = ACCOUNT_REPLICA
    rows = await tx.execute(select(R.c.billing_account_id, R.c.currency, R.c.billed_to).where(among(R.c.billing_account_id, billing_account_ids)))
    return {row.billing_account_id: ReplicatedAccount(row.currency, BilledTo.from_json(row.billed_to) if row.billed_to else None)
            for row in rows}
