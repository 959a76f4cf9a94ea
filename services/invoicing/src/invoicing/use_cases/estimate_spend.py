"""The estimate: an account's spend so far this month, and a linear projection to month end."""

from dataclasses import dataclass
from decimal import Decimal

from billing_runtime.clock import Clock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import account_replica, price_catalog, usage_ledger
from invoicing.domain.errors import PriceMissing, UnknownMeter
from invoicing.domain.invoices import DEFAULT_CURRENCY
from invoicing.domain.money import EXACT, to_minor_units
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import Aggregation

SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class MeterEstimate:
    project_id: str
    meter: str
    quantity_to_date: Decimal
    amount_to_date: int
    projected_quantity: Decimal
    projected_amount: int
    priced: bool = True
    """False when the meter has no price in the account's currency (amounts are then 0)."""


@dataclass(frozen=True)
class Estimate:
    period: BillingPeriod
    currency: str
    elapsed_fraction: Decimal
    lines: list[MeterEstimate]

    @property
    def amount_to_date(self) -> int:
        return sum(line.amount_to_date for line in self.lines)

    @property
    def projected_amount(self) -> int:
        return sum(line.projected_amount for line in self.lines)


async def estimate_spend(connection: AsyncConnection, billing_account_id: str, clock: Clock) -> Estimate:
    """Month to date at the prices of the period, and each quantity projected linearly over the
    month (sums and counts grow with time; a max or a unique count is kept as it is so far)."""
    now = clock.now()
    period = BillingPeriod.containing(now)
    elapsed = EXACT.divide(Decimal((now - period.start).total_seconds()), Decimal((period.end - period.start).total_seconds()))
    currency = await account_replica.currency_of(connection, billing_account_id) or DEFAULT_CURRENCY
    book = await price_catalog.load_price_book(connection)
    lines = []
    for usage in await usage_ledger.usage_of(connection, billing_account_id, period.start):
        try:
            meter = book.meter(usage.meter)
            price = book.price(usage.meter, currency, period.start)
        except (UnknownMeter, PriceMissing):
            lines.append(MeterEstimate(usage.project_id, usage.meter, usage.quantity, 0, usage.quantity, 0, priced=False))
            continue
        quantity = usage.billable(meter)
        grows = meter.aggregation in (Aggregation.SUM, Aggregation.COUNT) and elapsed > 0
        projected = EXACT.divide(quantity, elapsed).quantize(SIX_PLACES, context=EXACT) if grows else quantity
        lines.append(MeterEstimate(usage.project_id, usage.meter, quantity, to_minor_units(price.amount(quantity), currency),
                                   projected, to_minor_units(price.amount(projected), currency)))
    return Estimate(period, currency, elapsed.quantize(SIX_PLACES, context=EXACT), lines)
