"""How each billing account wants to be invoiced: one invoice, or one per project."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import INVOICE_SETTINGS, among


async def per_project(connection: AsyncConnection, billing_account_id: str) -> bool:
    """False (one invoice for the whole account) until the account asks otherwise."""
    query = select(INVOICE_SETTINGS.c.per_project).where(INVOICE_SETTINGS.c.billing_account_id == billing_account_id)
    return bool((await connection.execute(query)).scalar())


async def invoiced_per_project(connection: AsyncConnection, billing_account_ids: Collection[str]) -> set[str]:
    """Those of the accounts that asked for one invoice per project (one query for them all)."""
    S = INVOICE_SETTINGS
    query = select(S.c.billing_account_id).where(S.c.per_project, among(S.c.billing_account_id, billing_account_ids))
    return set((await connection.execute(query)).scalars())


async def save(tx: AsyncConnection, billing_account_id: str, per_project: bool, at: datetime) -> None:
    statement = insert(INVOICE_SETTINGS).values(billing_account_id=billing_account_id, per_project=per_project, updated_at=at)
    await tx.execute(statement.on_conflict_do_update(
        index_elements=["billing_account_id"], set_={"per_project": per_project, "updated_at": at}))
