"""Usage as invoicing counts it: per account, project, meter and month, a tally that keeps what
every aggregation needs (sum, event count, max, and the distinct values of a property)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


class Tally(NamedTuple):
    """What a batch adds to one aggregate (a tuple: a batch makes thousands)."""

    quantity: Decimal = Decimal(0)
    events: int = 0
    max_quantity: Decimal = Decimal(0)
    unique_values: frozenset[str] = frozenset()
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
    # Thousands of usages a batch, a few per aggregate: the lookups go by plain tuples, each
    # running tally is a list (an item is set faster than an attribute), and the keys, tallies,
    # meters and periods are made once per aggregate, at the end.
    running: dict[tuple[str, str, str, int, int], list] = {}
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
            tally = running.get(key := (account, project, code, at.year, at.month))
            if tally is None:  # quantity, events, max quantity, unique values, trace
                tally = running[key] = [_ZERO, 0, _ZERO, None, None]
            tally[0] += quantity
            tally[1] += 1
            if quantity > tally[2]:
                tally[2] = quantity
            if traceparent:
                tally[4] = traceparent
            if meter.aggregation is unique_count:
                value = properties.get(meter.unique_property or "")
                if value is None:
                    raise MissingUsageProperty(meter.code, meter.unique_property or "")
                if tally[3] is None:
                    tally[3] = set()
                tally[3].add(value)
    periods: dict[tuple[int, int], BillingPeriod] = {}
    tallies: dict[UsageKey, Tally] = {}
    for (account, project, code, year, month), (quantity, events, top, values, traceparent) in running.items():
        period = periods.get((year, month)) or periods.setdefault((year, month), BillingPeriod.month(year, month))
        tallies[UsageKey(account, project, code, period)] = Tally(
            quantity, events, top, _NO_VALUES if values is None else frozenset(values), traceparent)
    return tallies


_ZERO = Decimal(0)
_NO_VALUES: frozenset[str] = frozenset()


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
