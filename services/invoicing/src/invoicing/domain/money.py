"""Money: integer minor units of an ISO 4217 currency, and the one rounding rule.

A line's amount is quantity × unit price rounded half-even to the currency's minor unit; an
invoice's total is the sum of its rounded lines, so the lines a customer sees always add up.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Context, Decimal

EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN)
"""Wide enough that sums and products of contract quantities (38 digits) and prices never round.

Python's default context keeps only 28 significant digits; summing usage in it could lose some.
"""

DEFAULT_EXPONENT = 2
EXPONENTS: dict[str, int] = {
    # No minor unit.
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
         "XAF", "XOF", "XPF"],
        0,
    ),
    # Thousandths.
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    # Ten-thousandths.
    "CLF": 4,
    "UYW": 4,
}
"""ISO 4217 exponents that differ from the common 2 (USD, EUR, GBP... have cents)."""


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has: JPY 0, USD 2, KWD 3."""
    return EXPONENTS.get(currency.upper(), DEFAULT_EXPONENT)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` in major units (dollars, yen) as whole minor units, rounded half-even."""
    scaled = amount.scaleb(minor_unit_exponent(currency), context=EXACT)
    return int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN, context=EXACT))


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> int:
    """What a line costs in minor units: quantity × unit price, rounded half-even once."""
    return to_minor_units(EXACT.multiply(quantity, unit_price), currency)


def invoice_total(line_amounts: Iterable[int]) -> int:
    """The sum of the already-rounded lines (never the rounded sum of unrounded lines)."""
    return sum(line_amounts, 0)


def add_quantities(a: Decimal, b: Decimal) -> Decimal:
    """Exact addition of usage quantities, whatever their number of digits."""
    return EXACT.add(a, b)
