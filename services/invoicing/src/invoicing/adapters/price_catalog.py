"""The price book in the database: meters and every price version, read whole (it is small)."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.price_book_file import price_from_row, price_rows
from invoicing.adapters.tables import METERS, PRICES
from invoicing.domain.price_book import Meter, PriceBook
from invoicing.domain.tiers import Price


async def load_price_book(connection: AsyncConnection) -> PriceBook:
    meters = [Meter(r.code, r.unit, r.aggregation, r.unique_property)
              for r in await connection.execute(select(METERS).order_by(METERS.c.code))]
    prices = [price_from_row(r) for r in await connection.execute(select(PRICES).order_by(PRICES.c.effective_from))]
    return PriceBook(meters, prices)


async def add_meter(tx: AsyncConnection, meter: Meter) -> bool:
    """Store a new meter; False if the code is taken."""
    stored = await tx.execute(
        insert(METERS)
        .values(code=meter.code, unit=meter.unit, aggregation=meter.aggregation.value, unique_property=meter.unique_property)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(METERS.c.code)
    )
    return stored.first() is not None


async def add_price(tx: AsyncConnection, price: Price, created_at: datetime) -> bool:
    """Store a new price version; False if the meter has one in the currency from that instant already."""
    stored = await tx.execute(
        insert(PRICES)
        .values(**price_rows(price), created_at=created_at)
        .on_conflict_do_nothing(index_elements=["meter", "currency", "effective_from"])
        .returning(PRICES.c.meter)
    )
    return stored.first() is not None
