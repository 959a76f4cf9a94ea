"""Usage as invoicing counts it: quantities summed per account, project, meter and month."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from invoicing.domain.money import add_quantities
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import PriceBook


@dataclass(frozen=True)
class Usage:
    """One usage event's facts."""

    billing_account_id: str
    project_id: str
    meter: str
    quantity: Decimal
    occurred_at: datetime


@dataclass(frozen=True, order=True)
class UsageKey:
    """What usage is aggregated by: the period is the calendar month the usage happened in."""

    billing_account_id: str
    project_id: str
    meter: str
    period: BillingPeriod


def aggregate_usage(usages: Iterable[Usage], price_book: PriceBook) -> Mapping[UsageKey, Decimal]:
    """Exact totals per key; `UnknownMeter` if any usage names a meter the price book lacks."""
    totals: dict[UsageKey, Decimal] = defaultdict(Decimal)
    for usage in usages:
        price_book.meter(usage.meter)
        key = UsageKey(usage.billing_account_id, usage.project_id, usage.meter, BillingPeriod.containing(usage.occurred_at))
        totals[key] = add_quantities(totals[key], usage.quantity)
    return dict(totals)
