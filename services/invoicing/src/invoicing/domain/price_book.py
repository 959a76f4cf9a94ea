"""The price book: which meters exist, in which unit, and what one unit costs per currency."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from invoicing.domain.errors import PriceMissing, UnknownMeter


@dataclass(frozen=True)
class Meter:
    code: str
    """Lower-case words joined by dots, as usage events name it ("compute.vcpu_hours")."""
    unit: str
    unit_prices: Mapping[str, Decimal] = field(default_factory=dict)
    """Price of one unit, in major units (dollars, not cents), per ISO 4217 currency."""

    def __post_init__(self) -> None:
        for currency, price in self.unit_prices.items():
            if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
                raise ValueError(f"meter {self.code}: the {currency} price must be a non-negative decimal, not {price!r}")
        object.__setattr__(self, "unit_prices", MappingProxyType(dict(self.unit_prices)))

    def unit_price(self, currency: str) -> Decimal:
        try:
            return self.unit_prices[currency]
        except KeyError:
            raise PriceMissing(self.code, currency) from None


class PriceBook:
    def __init__(self, meters: Iterable[Meter]) -> None:
        self._meters: dict[str, Meter] = {}
        for meter in meters:
            if meter.code in self._meters:
                raise ValueError(f"meter {meter.code} is priced twice")
            self._meters[meter.code] = meter

    @property
    def meters(self) -> tuple[Meter, ...]:
        return tuple(self._meters.values())

    def meter(self, code: str) -> Meter:
        """The meter, or `UnknownMeter`."""
        try:
            return self._meters[code]
        except KeyError:
            raise UnknownMeter(code) from None

    def unit_price(self, code: str, currency: str) -> Decimal:
        """One unit of the meter in `currency`: `UnknownMeter` or `PriceMissing` if there is none."""
        return self.meter(code).unit_price(currency)

    def __contains__(self, code: object) -> bool:
        return code in self._meters
