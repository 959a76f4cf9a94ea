"""Usage aggregates: exact quantities per account, project, meter and billing period."""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import INVOICES, USAGE_AGGREGATES
from invoicing.domain.invoices import UsageTotal
from invoicing.domain.usage import UsageKey

_invoiced = exists().where(
    and_(
        INVOICES.c.billing_account_id == USAGE_AGGREGATES.c.billing_account_id,
        INVOICES.c.period_start == USAGE_AGGREGATES.c.period_start,
    )
)


async def add_usage(tx: AsyncConnection, totals: Mapping[UsageKey, Decimal]) -> None:
    """Add each total to its aggregate, creating it if new, in one statement.

    Rows go in key order, so two transactions adding to the same aggregates cannot deadlock.
    """
    if not totals:
        return
    rows = [
        {"billing_account_id": key.billing_account_id, "project_id": key.project_id, "meter": key.meter,
         "period_start": key.period.start, "quantity": quantity}
        for key, quantity in sorted(totals.items())
    ]
    statement = insert(USAGE_AGGREGATES).values(rows)
    await tx.execute(
        statement.on_conflict_do_update(
            index_elements=["billing_account_id", "project_id", "meter", "period_start"],
            set_={"quantity": USAGE_AGGREGATES.c.quantity + statement.excluded.quantity},
        )
    )


async def accounts_to_invoice(tx: AsyncConnection, period_start: datetime) -> list[str]:
    """Accounts with usage in the period and no invoice for it yet."""
    query = (
        select(USAGE_AGGREGATES.c.billing_account_id)
        .where(USAGE_AGGREGATES.c.period_start == period_start, ~_invoiced)
        .distinct()
        .order_by(USAGE_AGGREGATES.c.billing_account_id)
    )
    return list((await tx.execute(query)).scalars())


async def periods_with_uninvoiced_usage(tx: AsyncConnection, starting_before: datetime) -> list[datetime]:
    query = (
        select(USAGE_AGGREGATES.c.period_start)
        .where(USAGE_AGGREGATES.c.period_start < starting_before, ~_invoiced)
        .distinct()
        .order_by(USAGE_AGGREGATES.c.period_start)
    )
    return list((await tx.execute(query)).scalars())


async def usage_of(tx: AsyncConnection, billing_account_id: str, period_start: datetime) -> list[UsageTotal]:
    query = select(USAGE_AGGREGATES.c.project_id, USAGE_AGGREGATES.c.meter, USAGE_AGGREGATES.c.quantity).where(
        USAGE_AGGREGATES.c.billing_account_id == billing_account_id, USAGE_AGGREGATES.c.period_start == period_start
    )
    return [UsageTotal(row.project_id, row.meter, row.quantity) for row in await tx.execute(query)]
