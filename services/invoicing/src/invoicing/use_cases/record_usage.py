"""Count usage: add a batch of fresh usage events to the aggregates of their month."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import usage_ledger
from invoicing.domain.price_book import PriceBook
from invoicing.domain.usage import Usage, aggregate_usage


async def record_usage(usages: Iterable[Usage], tx: AsyncConnection, price_book: PriceBook) -> None:
    """Aggregate in memory, then one upsert-add per (account, project, meter, month).

    The caller dedups events (the kit's inbox, in the same transaction). Raises `UnknownMeter`
    and writes nothing if any usage names a meter the price book lacks. Usage for a period
    already invoiced is still counted; it is not invoiced here.
    """
    await usage_ledger.add_usage(tx, aggregate_usage(usages, price_book))
