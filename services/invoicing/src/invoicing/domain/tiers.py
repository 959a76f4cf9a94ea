"""Prices and the four ways they rate a quantity: per unit, graduated tiers, volume tiers, packages.

Tiers follow Stripe's convention: a tier covers quantities above the previous tier's `up_to`
up to and including its own; the last tier has no `up_to`. Amounts here are exact Decimals in
major units; the invoice line rounds them half-even to minor units once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.currencies import is_known_currency
from invoicing.domain.errors import InvalidPriceBook
from invoicing.domain.money import EXACT

ZERO = Decimal(0)


class PriceModel(StrEnum):
    PER_UNIT = "per_unit"
    GRADUATED = "graduated"
    """Each unit at the price of the tier it falls in (the first 100 at one price, the next...)."""
    VOLUME = "volume"
    """Every unit at the price of the tier the whole quantity falls in."""
    PACKAGE = "package"
    """A price per block of `package_size` units, a started block counting whole."""


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None
    """Inclusive upper bound; None for the last tier."""
    unit_price: Decimal
    flat_fee: Decimal = ZERO
    """Added once when the quantity reaches into the tier."""


def tiers_from_bounds(bounds: Sequence[tuple[Decimal | None, Decimal | None, Decimal, Decimal]]) -> tuple[Tier, ...]:
    """Tiers from (from, up_to, unit_price, flat_fee); `from` may be None (it follows the previous
    tier). `InvalidPriceBook` when tiers overlap, leave a gap, or do not end unbounded."""
    tiers: list[Tier] = []
    previous_up_to = ZERO
    for number, (start, up_to, unit_price, flat_fee) in enumerate(bounds, 1):
        if start is not None and start != previous_up_to:
            kind = "overlap" if start < previous_up_to else "leave a gap"
            raise InvalidPriceBook(f"tier {number} starts at {start} but the tier before ends at {previous_up_to}: tiers {kind}")
        tiers.append(Tier(up_to, unit_price, flat_fee))
        if up_to is not None:
            previous_up_to = up_to
    return tuple(tiers)


@dataclass(frozen=True)
class Price:
    meter: str
    currency: str
    effective_from: datetime
    model: PriceModel
    unit_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    package_size: Decimal | None = None
    package_price: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", PriceModel(self.model))
        where = f"the {self.currency} price of {self.meter}"
        if not is_known_currency(self.currency):
            raise InvalidPriceBook(f"{self.currency!r} is not an ISO 4217 currency")
        if self.effective_from.tzinfo is None:
            raise InvalidPriceBook(f"{where}: effective_from needs a time zone")
        for name in ("unit_price", "package_size", "package_price"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
                raise InvalidPriceBook(f"{where}: {name} must be a non-negative decimal, not {value!r}")
        expects = {
            PriceModel.PER_UNIT: self.unit_price is not None and not self.tiers and self.package_size is None,
            PriceModel.GRADUATED: self.unit_price is None and bool(self.tiers) and self.package_size is None,
            PriceModel.VOLUME: self.unit_price is None and bool(self.tiers) and self.package_size is None,
            PriceModel.PACKAGE: self.package_size is not None and self.package_price is not None and not self.tiers
            and self.unit_price is None,
        }
        if not expects[self.model]:
            needs = {"per_unit": "unit_price only", "graduated": "tiers only", "volume": "tiers only",
                     "package": "package_size and package_price only"}[self.model]
            raise InvalidPriceBook(f"{where}: a {self.model} price takes {needs}")
        if self.model is PriceModel.PACKAGE and self.package_size == 0:
            raise InvalidPriceBook(f"{where}: package_size must be above zero")
        self._check_tiers(where)

    def _check_tiers(self, where: str) -> None:
        previous = ZERO
        for number, tier in enumerate(self.tiers, 1):
            for name in ("unit_price", "flat_fee"):
                value = getattr(tier, name)
                if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                    raise InvalidPriceBook(f"{where}: tier {number} {name} must be a non-negative decimal")
            last = number == len(self.tiers)
            if tier.up_to is None and not last:
                raise InvalidPriceBook(f"{where}: only the last tier may be unbounded")
            if tier.up_to is not None and last:
                raise InvalidPriceBook(f"{where}: the last tier must be unbounded (no up_to)")
            if tier.up_to is not None:
                if tier.up_to <= previous:
                    raise InvalidPriceBook(
                        f"{where}: tier {number} ends at {tier.up_to}, not above the tier before ({previous}): tiers overlap")
                previous = tier.up_to

    def amount(self, quantity: Decimal) -> Decimal:
        """What `quantity` costs, exactly, in major units."""
        if self.model is PriceModel.PER_UNIT:
            return EXACT.multiply(quantity, self.unit_price)
        if self.model is PriceModel.PACKAGE:
            blocks = EXACT.divide_int(quantity, self.package_size)
            if EXACT.remainder(quantity, self.package_size) > 0:
                blocks += 1
            return EXACT.multiply(blocks, self.package_price)
        if self.model is PriceModel.VOLUME:
            tier = next(t for t in self.tiers if t.up_to is None or quantity <= t.up_to)
            return EXACT.add(EXACT.multiply(quantity, tier.unit_price), tier.flat_fee if quantity > 0 else ZERO)
        total, lower = ZERO, ZERO
        for tier in self.tiers:
            if quantity <= lower:
                break
            upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
            total = EXACT.add(total, EXACT.add(EXACT.multiply(EXACT.subtract(upper, lower), tier.unit_price), tier.flat_fee))
            lower = tier.up_to if tier.up_to is not None else quantity
        return total

    def terms(self) -> str:
        """The price as a customer reads it on an invoice line."""
        if self.model is PriceModel.PER_UNIT:
            return f"{self.unit_price} per unit"
        if self.model is PriceModel.PACKAGE:
            return f"{self.package_price} per {self.package_size} units"
        parts, lower = [], ZERO
        for tier in self.tiers:
            span = f"{lower}-{tier.up_to}" if tier.up_to is not None else f"above {lower}"
            fee = f" + {tier.flat_fee} flat" if tier.flat_fee else ""
            parts.append(f"{span} at {tier.unit_price}{fee}")
            lower = tier.up_to or lower
        return f"{self.model}: " + "; ".join(parts)
