"""Operators add meters and price versions; a price applies from its `effective_from` on."""

from datetime import datetime

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import price_catalog
from invoicing.domain.errors import DuplicateEntry, InvalidPriceBook
from invoicing.domain.price_book import Meter
from invoicing.domain.tiers import Price


async def add_meter(meter: Meter, tx: AsyncConnection) -> Meter:
    """Store the meter; `DuplicateEntry` if its code is taken."""
    if not await price_catalog.add_meter(tx, meter):
        raise DuplicateEntry(f"meter {meter.code} exists already")
    return meter


async def add_price(price: Price, tx: AsyncConnection, clock: Clock) -> Price:
    """Store a new price version.

    `InvalidPriceBook` for a price effective before now (a change is never retroactive) and
    `PriceWithoutMeter` for a meter the book lacks; `DuplicateEntry` when the meter already has
    a price in the currency from that very instant.
    """
    now = clock.now()
    if price.effective_from < now:
        raise InvalidPriceBook(f"effective_from {price.effective_from.isoformat()} is in the past; prices change from now on")
    (await price_catalog.load_price_book(tx)).with_price(price)
    if not await price_catalog.add_price(tx, price, now):
        raise DuplicateEntry(f"meter {price.meter} has a {price.currency} price from {price.effective_from.isoformat()}")
    return price


def prices_in_effect(prices: list[Price], at: datetime | None) -> list[Price]:
    """All versions, or only the one of each (meter, currency) in effect at `at`."""
    if at is None:
        return prices
    current: dict[tuple[str, str], Price] = {}
    for price in sorted(prices, key=lambda p: p.effective_from):
        if price.effective_from <= at:
            current[(price.meter, price.currency)] = price
    return list(current.values())
