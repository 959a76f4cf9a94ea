"""Usage as invoicing counts it: per account, project, meter and month, a tally that keeps what
every aggregation needs (sum, event count, max, and the distinct values of a property)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import NamedTuple

from invoicing.domain.errors import MissingUsageProperty, UsageFromTheFuture, UsageTooOld
from invoicing.domain.money import EXACT
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import Aggregation, Meter, PriceBook


class Usage(NamedTuple):
    """One usage event's facts (immutable; a tuple, because one is made per event and a frozen
    dataclass takes several times longer to make)."""

    billing_account_id: str
    project_id: str
    meter: str
    quantity: Decimal
    occurred_at: datetime
    properties: Mapping[str, str] = MappingProxyType({})
    traceparent: str | None = None
    """The trace the event came with (W3C), kept so the invoice that bills it can link back."""


class UsageKey(NamedTuple):
    """What usage is aggregated by: the period is the calendar month the usage happened in (a
    tuple: a batch makes thousands, and a frozen dataclass takes several times longer to make
    and to hash)."""

    billing_account_id: str
    project_id: str
    meter: str
    period: BillingPeriod


@dataclass
class Tally:
    """What a batch adds to one aggregate."""

    quantity: Decimal = Decimal(0)
    events: int = 0
    max_quantity: Decimal = Decimal(0)
    unique_values: set[str] = field(default_factory=set)
    traceparent: str | None = None
    """The trace of the latest usage added (one per aggregate: a trace per event would cost more than it tells)."""


@dataclass(frozen=True)
class UsageWindow:
    """When usage may claim to have happened, seen from now: at most `max_ahead` after (clocks
    drift), and no earlier than the event ids remembered (`dedup`, the inbox's retention) allow,
    less `max_ahead`. A copy of an event is recognized only while its id is remembered: the
    original, happening no later than `max_ahead` after it was counted, had its id kept `dedup`
    from then; usage older than `dedup - max_ahead` might be a copy of one forgotten."""

    max_ahead: timedelta = timedelta(hours=1)
    dedup: timedelta = timedelta(days=62)

    def __post_init__(self) -> None:
        if self.dedup <= self.max_ahead:
            raise ValueError("event ids must be remembered longer than usage may be ahead of the clock")

    def check(self, usages: Iterable[Usage], now: datetime) -> None:
        """`UsageFromTheFuture` or `UsageTooOld` for the first usage outside the window."""
        earliest, latest = now - self.dedup + self.max_ahead, now + self.max_ahead
        for usage in usages:
            if usage.occurred_at > latest:
                raise UsageFromTheFuture(usage.occurred_at.isoformat(), latest.isoformat())
            if usage.occurred_at < earliest:
                raise UsageTooOld(usage.occurred_at.isoformat(), earliest.isoformat())


def aggregate_usage(usages: Iterable[Usage], price_book: PriceBook) -> dict[UsageKey, Tally]:
    """Exact tallies per key; `UnknownMeter`, or `MissingUsageProperty` for a unique-count meter's
    usage without the property it counts."""
    # Thousands of usages a batch, a few per aggregate: the lookups go by plain tuples, and each
    # key, tally, meter and period is made once (dataclass keys hash and compare slowly).
    tallies: dict[tuple[str, str, str, int, int], tuple[UsageKey, Tally]] = {}
    periods: dict[tuple[int, int], BillingPeriod] = {}
    meters: dict[str, Meter] = {}
    unique_count = Aggregation.UNIQUE_COUNT
    with localcontext(EXACT):  # `+` adds exactly, whatever the number of digits
        # Unpacked, not read by name: a named tuple's field by name is a call, by unpacking none.
        for account, project, code, quantity, at, properties, traceparent in usages:
            meter = meters.get(code) or meters.setdefault(code, price_book.meter(code))
            if at.tzinfo is not UTC:
                if at.tzinfo is None:
                    BillingPeriod.containing(at)  # raises: a naive time cannot be placed in a period
                at = at.astimezone(UTC)
            found = tallies.get(key := (account, project, code, at.year, at.month))
            if found is None:
                period = periods.get((at.year, at.month)) or periods.setdefault((at.year, at.month), BillingPeriod.containing(at))
                found = tallies[key] = (UsageKey(account, project, code, period), Tally())
            tally = found[1]
            tally.quantity += quantity
            tally.events += 1
            if quantity > tally.max_quantity:
                tally.max_quantity = quantity
            if traceparent:
                tally.traceparent = traceparent
            if meter.aggregation is unique_count:
                value = properties.get(meter.unique_property or "")
                if value is None:
                    raise MissingUsageProperty(meter.code, meter.unique_property or "")
                tally.unique_values.add(value)
    return dict(tallies.values())


@dataclass(frozen=True)
class MeteredUsage:
    """A stored aggregate as it is billed: everything every aggregation needs."""

    project_id: str
    meter: str
    period: BillingPeriod
    quantity: Decimal
    events: int
    max_quantity: Decimal
    unique_count: int

    def billable(self, meter: Meter) -> Decimal:
        """The quantity the meter's aggregation bills."""
        return {
            Aggregation.SUM: self.quantity,
            Aggregation.COUNT: Decimal(self.events),
            Aggregation.MAX: self.max_quantity,
            Aggregation.UNIQUE_COUNT: Decimal(self.unique_count),
        }[meter.aggregation]
