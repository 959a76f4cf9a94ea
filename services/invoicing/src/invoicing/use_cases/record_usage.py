"""Count usage: add a batch of fresh usage events to the aggregates of their month."""

from collections.abc import Iterable

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import price_catalog, project_links, usage_ledger
from invoicing.domain.project_links import billed_to_payers
from invoicing.domain.usage import Usage, UsageWindow, aggregate_usage


async def record_usage(usages: Iterable[Usage], tx: AsyncConnection, clock: Clock, window: UsageWindow = UsageWindow()) -> None:
    """Aggregate in memory, then one increment per (account, project, meter, month), which a
    fold adds to its aggregate later (see usage_ledger).

    The caller dedups events (the kit's inbox, in the same transaction). Writes nothing and
    raises if any usage cannot be counted: `UnknownMeter`, `UsageFromTheFuture` or `UsageTooOld`
    (outside the window), `MissingUsageProperty`; the kit then isolates the culprit and
    dead-letters it with the error. Usage of a period already invoiced is flagged for the
    account's next invoice. Usage is counted for the account its project belonged to when it
    happened, by the project's link history (one query per batch).
    """
    usages = list(usages)
    window.check(usages, clock.now())
    price_book = await price_catalog.load_price_book(tx)
    usages = billed_to_payers(usages, await project_links.links_of(tx, {usage.project_id for usage in usages}))
    await usage_ledger.add_usage(tx, aggregate_usage(usages, price_book))
