"""The price book: meters (what is counted, and how), and prices per meter and currency over time.

A price applies from its `effective_from`. Usage is rated at the price in effect at the START of
the billing period it happened in: a change dated mid-period takes effect with the next period,
and a finalized invoice's lines are stored, so no change ever reaches back into one.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from invoicing.domain.errors import DuplicateEntry, InvalidPriceBook, PriceMissing, PriceWithoutMeter, UnknownMeter
from invoicing.domain.tiers import Price

METER_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""When the prices of the shipped price book file take effect."""


class Aggregation(StrEnum):
    """How a meter turns a period's usage events into the quantity that is billed."""

    SUM = "sum"
    """The sum of the events' quantities (vCPU-hours)."""
    COUNT = "count"
    """How many events there were, whatever their quantity (API requests)."""
    MAX = "max"
    """The largest quantity of any one event (peak seats)."""
    UNIQUE_COUNT = "unique_count"
    """How many distinct values one property took (active users by `user_id`)."""


@dataclass(frozen=True)
class Meter:
    code: str
    """Lower-case words joined by dots, as usage events name it ("compute.vcpu_hours")."""
    unit: str
    aggregation: Aggregation = Aggregation.SUM
    unique_property: str | None = None
    """The usage property whose distinct values a unique-count meter counts."""

    def __post_init__(self) -> None:
        if not METER_CODE.match(self.code) or len(self.code) > 100:
            raise InvalidPriceBook(f"meter code {self.code!r} is not lower-case words joined by dots")
        if not self.unit.strip():
            raise InvalidPriceBook(f"meter {self.code}: the unit must not be empty")
        object.__setattr__(self, "aggregation", Aggregation(self.aggregation))
        counts_unique = self.aggregation is Aggregation.UNIQUE_COUNT
        if counts_unique and not self.unique_property:
            raise InvalidPriceBook(f"meter {self.code}: a unique count names the property it counts")
        if not counts_unique and self.unique_property:
            raise InvalidPriceBook(f"meter {self.code}: only a unique-count meter names a property")


class PriceBook:
    """Meters and every price version; `price(meter, currency, at)` finds the one in effect."""

    def __init__(self, meters: Iterable[Meter], prices: Iterable[Price] = ()) -> None:
        self._meters: dict[str, Meter] = {}
        for meter in meters:
            if meter.code in self._meters:
                raise InvalidPriceBook(f"meter {meter.code} is defined twice")
            self._meters[meter.code] = meter
        self._prices: dict[tuple[str, str], list[Price]] = {}
        for price in prices:
            self._add(price)

    def _add(self, price: Price) -> None:
        if price.meter not in self._meters:
            raise PriceWithoutMeter(price.meter)
        versions = self._prices.setdefault((price.meter, price.currency), [])
        if any(v.effective_from == price.effective_from for v in versions):
            raise DuplicateEntry(
                f"meter {price.meter} has a {price.currency} price from {price.effective_from.isoformat()} already")
        versions.append(price)
        versions.sort(key=lambda v: v.effective_from)

    def with_price(self, price: Price) -> "PriceBook":
        """A copy that also has `price`; the checks of the constructor apply."""
        return PriceBook(self.meters, [*self.prices, price])

    def with_meter(self, meter: Meter) -> "PriceBook":
        return PriceBook([*self.meters, meter], self.prices)

    @property
    def meters(self) -> tuple[Meter, ...]:
        return tuple(self._meters.values())

    @property
    def prices(self) -> tuple[Price, ...]:
        return tuple(p for versions in self._prices.values() for p in versions)

    def meter(self, code: str) -> Meter:
        """The meter, or `UnknownMeter`."""
        try:
            return self._meters[code]
        except KeyError:
            raise UnknownMeter(code) from None

    def price(self, code: str, currency: str, at: datetime) -> Price:
        """The price in effect at `at`: `UnknownMeter`, or `PriceMissing` if there is none yet."""
        self.meter(code)
        in_effect = [p for p in self._prices.get((code, currency), []) if p.effective_from <= at]
        if not in_effect:
            raise PriceMissing(code, currency)
        return in_effect[-1]

    def __contains__(self, code: object) -> bool:
        return code in self._meters
