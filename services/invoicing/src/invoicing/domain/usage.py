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
    usage without the property it counts.

    Where `make install` could build it, `_usage_tally.c` does this for the plainest usages, in
    about two thirds of the time of the Python below, which is the reference (its tests compare the
    two; figures in bench/README.md); it leaves a batch with any other usage to the Python, which
    raises the domain's errors."""
    usages = usages if type(usages) is list else list(usages)
    with localcontext(EXACT):  # `+` adds exactly, whatever the number of digits
        tallies = None if _compiled is None else _compiled.tally(usages, _counted_properties(price_book))
        return _tallies(_tally_in_python(usages, price_book)) if tallies is None else tallies


def _tally_in_python(usages: list[Usage], price_book: PriceBook) -> dict[tuple[str, str, str, int, int], list]:
    """The running tallies by (account, project, meter, year, month): each the list [quantity,
    events, max quantity, unique values (a set, or None), trace]. `_usage_tally.c` makes the same
    from the plainest usages, and leaves the others to this."""
    # Thousands of usages a batch, a few per aggregate: the lookups go by plain tuples, and each
    # running tally is a list (an item is set faster than an attribute).
    running: dict[tuple[str, str, str, int, int], list] = {}
    meters: dict[str, Meter] = {}
    unique_count = Aggregation.UNIQUE_COUNT
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
    return running


def _tallies(running: dict[tuple[str, str, str, int, int], list]) -> dict[UsageKey, Tally]:
    """The tallies by key from the running ones: keys, tallies and periods made once per aggregate,
    past the named tuples' generated `__new__` (a call in Python, a third of the time this took)."""
    periods: dict[tuple[int, int], BillingPeriod] = {}
    tallies: dict[UsageKey, Tally] = {}
    for (account, project, code, year, month), (quantity, events, top, values, traceparent) in running.items():
        period = periods.get((year, month)) or periods.setdefault((year, month), BillingPeriod.month(year, month))
        tallies[_new_tuple(UsageKey, (account, project, code, period))] = _new_tuple(Tally, (
            quantity, events, top, _NO_VALUES if values is None else frozenset(values), traceparent))
    return tallies


def _counted_properties(price_book: PriceBook) -> dict[str, str | None]:
    """Every meter's code to the property its unique count counts, or None: what the compiled tally
    needs of the price book."""
    return {meter.code: (meter.unique_property or "") if meter.aggregation is Aggregation.UNIQUE_COUNT else None
            for meter in price_book.meters}


_ZERO = Decimal(0)
_NO_VALUES: frozenset[str] = frozenset()
_new_tuple = tuple.__new__

try:  # built by `make install` (runtime/build_compiled.py) where a C compiler is
    from invoicing.domain import _usage_tally as _compiled
except ImportError:  # pragma: no cover - depends on the machine
    _compiled = None
else:
    _compiled.configure(UsageKey, Tally, BillingPeriod.month, _ZERO, _NO_VALUES)

TALLY_COMPILED = _compiled is not None
"""Whether `_usage_tally.c` was built, to aggregate the plainest usages (see `aggregate_usage`)."""


def leave_tallies_to_python() -> None:
    """From now on, aggregate every batch in Python: the switch for a suspected fault in the
    compiled tally (`INVOICING_USAGE_TALLY=python`, which the consumer's entrypoint reads)."""
    global _compiled
    _compiled = None


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
