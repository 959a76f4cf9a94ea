"""Amounts as a customer reads them: minor units shown with their currency's ISO 4217 exponent."""

# Currencies whose minor unit is not the hundredth (ISO 4217 list one, "minor unit" column).
_EXPONENT_OTHER_THAN_TWO = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
         "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

# Written before the number; a currency not listed here is shown by its code ("CHF 12.34").
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "CAD": "CA$", "AUD": "A$"}


def minor_unit_exponent(currency: str) -> int:
    """How many digits follow the decimal point: 2 for USD, 0 for JPY, 3 for KWD."""
    return _EXPONENT_OTHER_THAN_TWO.get(currency.upper(), 2)


def format_amount(minor_units: int, currency: str) -> str:
    """`1234, "USD"` → `$12.34`; `1234, "JPY"` → `¥1234`; `1234, "CHF"` → `CHF 12.34`.

    Exact integer arithmetic, no digit grouping: the figure reads the same as on the invoice.
    """
    currency = currency.upper()
    exponent = minor_unit_exponent(currency)
    whole, fraction = divmod(abs(minor_units), 10**exponent)
    number = f"{whole}.{fraction:0{exponent}d}" if exponent else str(whole)
    sign = "-" if minor_units < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"
