"""Rating: usage totals into invoice lines, at the price in effect at the start of their period.

Late usage (it arrived after its period was invoiced) is billed on the account's next invoice as
a true-up line naming its period: the period's whole usage is rated again and what its earlier
lines already billed is taken off, so tiers and max / unique-count meters come out exactly as if
the usage had been on time (never below zero: a volume tier may make more usage cheaper).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from invoicing.domain.invoices import InvoiceLine
from invoicing.domain.money import EXACT, to_minor_units
from invoicing.domain.price_book import PriceBook
from invoicing.domain.tiers import Price, PriceModel
from invoicing.domain.usage import MeteredUsage


@dataclass(frozen=True)
class LateUsage:
    """A period's aggregate that grew after it was invoiced, and what its lines billed so far."""

    usage: MeteredUsage
    billed_quantity: Decimal
    billed_amount: int
    billed_events: int


def rate(usage: MeteredUsage, price_book: PriceBook, currency: str) -> tuple[Price, InvoiceLine]:
    """The line for a period's usage; `UnknownMeter` or `PriceMissing` if it cannot be priced."""
    meter = price_book.meter(usage.meter)
    price = price_book.price(usage.meter, currency, usage.period.start)
    quantity = usage.billable(meter)
    amount = to_minor_units(price.amount(quantity), currency)
    unit_price = price.unit_price if price.model is PriceModel.PER_UNIT else None
    line = InvoiceLine(usage.project_id, usage.meter, usage.period, quantity, unit_price, price.model.value,
                       price.terms(), amount, usage.events)
    return price, line


def price_lines(
    usage: Iterable[MeteredUsage], price_book: PriceBook, currency: str, late: Iterable[LateUsage] = ()
) -> list[InvoiceLine]:
    """One line per project, meter and usage period, in a stable order; late usage adds true-ups
    (only where there is more to bill)."""
    lines = [rate(total, price_book, currency)[1] for total in usage]
    for grown in late:
        _, whole = rate(grown.usage, price_book, currency)
        more = EXACT.subtract(whole.quantity, grown.billed_quantity)
        if more <= 0:
            continue
        lines.append(InvoiceLine(
            whole.project_id, whole.meter, whole.usage_period, more, whole.unit_price, whole.price_model,
            f"late usage of {whole.usage_period.label}; {whole.price_terms}", max(whole.amount - grown.billed_amount, 0),
            max(whole.events - grown.billed_events, 0),
        ))
    return sorted(lines, key=lambda line: (line.project_id, line.meter, line.usage_period))
