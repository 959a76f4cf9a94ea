"""The compiled usage tally (`_usage_tally.c`) gives exactly what the Python `aggregate_usage`
gives, for every batch it takes; it takes the plainest usages (what the consumer reads); and it
leaves any other batch to the Python, which converts the times or raises the domain's errors."""

import random
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from decimal import localcontext
from types import MappingProxyType

import pytest

from invoicing.domain import usage as usage_module
from invoicing.domain.errors import MissingUsageProperty, UnknownMeter
from invoicing.domain.money import EXACT
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import Meter, PriceBook
from invoicing.domain.usage import Tally, Usage, UsageKey, aggregate_usage

pytestmark = pytest.mark.skipif(usage_module._compiled is None, reason="the compiled tally is not built (no C compiler)")

BOOK = PriceBook([Meter("api.requests", "request"), Meter("storage.gb_months", "GB-month", "max"),
                  Meter("users.active", "user", "unique_count", "user_id")])
TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
NOV = datetime(2026, 11, 3, 4, 5, 6, tzinfo=UTC)


def compiled(usages, book=BOOK):
    """The compiled tally's answer: the tallies, or None when it leaves the batch to Python (in
    `aggregate_usage`'s decimal context, as both are called there)."""
    with localcontext(EXACT):
        return usage_module._compiled.tally(list(usages), usage_module._counted_properties(book))


def in_python(usages, book=BOOK):
    with localcontext(EXACT):
        return usage_module._tallies(usage_module._tally_in_python(list(usages), book))


def exactly(tallies: dict[UsageKey, Tally]) -> list:
    """Everything that tells two results apart: order, types, and each Decimal's own digits."""
    return [(type(k), k, type(t), tuple((type(v), repr(v)) for v in t)) for k, t in tallies.items()]


def random_batch(rng: random.Random, size: int) -> list[Usage]:
    usages = []
    for _ in range(size):
        meter = rng.choice(["api.requests", "storage.gb_months", "users.active"])
        quantity = rng.choice([D(rng.randrange(0, 10**6)) / 10 ** rng.randrange(0, 19), D("0"), D("0.000"), D("5"),
                               D("5.00"), D(rng.randrange(1, 50))])
        at = datetime(rng.choice([2025, 2026]), rng.choice([1, 11, 12]), rng.randrange(1, 29), rng.randrange(24),
                      tzinfo=UTC)
        properties = {"user_id": rng.choice("abcdef")} if meter == "users.active" else rng.choice([{}, {"zone": "b"}])
        if rng.random() < 0.3:
            properties = MappingProxyType(properties)
        usages.append(Usage(f"ba_{rng.randrange(4)}", rng.choice(["prj_1", "prj_2"]), meter, quantity, at, properties,
                            rng.choice([None, "", TRACE, TRACE.replace("b7", "c8")])))
    return usages


@pytest.mark.parametrize("seed", range(30))
def test_it_tallies_any_batch_of_plain_usages_to_what_python_tallies(seed):
    usages = random_batch(random.Random(seed), random.Random(seed).randrange(1, 400))
    tallies = compiled(usages)
    assert tallies is not None
    assert exactly(tallies) == exactly(in_python(usages))
    assert exactly(aggregate_usage(usages, BOOK)) == exactly(tallies)


def test_counts_past_the_small_integers_and_sums_with_every_digit():
    at = NOV
    usages = [Usage("ba", "prj", "api.requests", D("0.000000000000000001"), at)] * 1_000 + [
        Usage("ba", "prj", "api.requests", D("12345678901234567890.5"), at)]
    [(key, tally)] = compiled(usages).items()
    assert key == UsageKey("ba", "prj", "api.requests", BillingPeriod.month(2026, 11))
    assert tally == Tally(D("12345678901234567890.500000000000001"), 1_001, D("12345678901234567890.5"))
    assert exactly({key: tally}) == exactly(in_python(usages))


def test_the_latest_trace_is_kept_and_an_empty_one_is_no_trace():
    usages = [Usage("ba", "prj", "api.requests", D(1), NOV, traceparent=trace) for trace in (TRACE, None, "")]
    [tally] = compiled(usages).values()
    assert tally.traceparent == TRACE
    [tally] = compiled(usages[1:]).values()
    assert tally.traceparent is None
    assert exactly(compiled(usages)) == exactly(in_python(usages))


def test_a_unique_count_counts_the_values_from_a_dict_or_a_read_only_mapping():
    usages = [Usage("ba", "prj", "users.active", D(1), NOV, {"user_id": "ada"}),
              Usage("ba", "prj", "users.active", D(1), NOV, MappingProxyType({"user_id": "bob"})),
              Usage("ba", "prj", "users.active", D(1), NOV, {"user_id": "ada", "zone": "b"})]
    [tally] = compiled(usages).values()
    assert tally.unique_values == frozenset({"ada", "bob"})
    assert exactly(compiled(usages)) == exactly(in_python(usages))


LEFT_TO_PYTHON = {
    "a time with another offset": Usage("ba", "prj", "api.requests", D(1), NOV.astimezone(timezone(timedelta(hours=2)))),
    "a naive time": Usage("ba", "prj", "api.requests", D(1), NOV.replace(tzinfo=None)),
    "an unknown meter": Usage("ba", "prj", "gpu.hours", D(1), NOV),
    "a unique count without its property": Usage("ba", "prj", "users.active", D(1), NOV, {"zone": "b"}),
    "a unique count of a null property": Usage("ba", "prj", "users.active", D(1), NOV, {"user_id": None}),
    "properties of another mapping type": Usage("ba", "prj", "users.active", D(1), NOV,
                                                type("Props", (dict,), {})(user_id="ada")),
    "a usage that is not a tuple": list(Usage("ba", "prj", "api.requests", D(1), NOV)),
    "a usage of another length": Usage("ba", "prj", "api.requests", D(1), NOV)[:6],
}


@pytest.mark.parametrize("odd", LEFT_TO_PYTHON.values(), ids=LEFT_TO_PYTHON.keys())
def test_a_batch_with_any_other_usage_is_left_to_python(odd):
    plain = Usage("ba", "prj", "api.requests", D(2), NOV)
    assert compiled([plain]) is not None
    assert compiled([plain, odd, plain]) is None


def test_python_then_converts_the_times_and_raises_the_domains_errors():
    other_offset = Usage("ba", "prj", "api.requests", D(1), datetime(2026, 12, 1, 1, tzinfo=timezone(timedelta(hours=2))))
    [key] = aggregate_usage([other_offset], BOOK)
    assert key.period == BillingPeriod.month(2026, 11)
    with pytest.raises(UnknownMeter):
        aggregate_usage([Usage("ba", "prj", "api.requests", D(1), NOV), LEFT_TO_PYTHON["an unknown meter"]], BOOK)
    with pytest.raises(MissingUsageProperty):
        aggregate_usage([LEFT_TO_PYTHON["a unique count of a null property"]], BOOK)


def test_an_error_in_the_arithmetic_is_raised_as_python_raises_it():
    bad = [Usage("ba", "prj", "api.requests", D(1), NOV), Usage("ba", "prj", "api.requests", "one", NOV)]
    with pytest.raises(TypeError):
        compiled(bad)
    with pytest.raises(TypeError):
        in_python(bad)


def test_it_keeps_nothing_of_what_it_tallied():
    """Every object it makes is released with the tallies (a reference counted once too often in C
    would keep each batch's keys and sums for ever)."""
    usages = random_batch(random.Random(7), 500)
    tracemalloc.start()  # (it counts only what it saw allocated: the first batches happen while it looks)
    try:
        for _ in range(50):
            compiled(usages)
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(500):
            compiled(usages)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 512 * 1024  # 500 batches' keys, tallies and sums leaked would be many megabytes


class Spy:
    """The compiled module, noting each batch it is given."""

    def __init__(self, module) -> None:
        self.module, self.batches = module, 0

    def tally(self, usages, meters):
        self.batches += 1
        return self.module.tally(usages, meters)


def test_aggregate_usage_goes_the_compiled_way_unless_the_operator_switched_it_off(monkeypatch):
    from invoicing.entrypoints import stream

    class Subscriptions:  # what `subscribe` uses of the kit's registry
        def on(self, topic, **options):
            return lambda handler: handler

    spy = Spy(usage_module._compiled)
    monkeypatch.setattr(usage_module, "_compiled", spy)
    usages = random_batch(random.Random(3), 50)
    assert exactly(aggregate_usage(usages, BOOK)) == exactly(in_python(usages))
    assert spy.batches == 1

    monkeypatch.setenv("INVOICING_USAGE_TALLY", "python")
    stream.subscribe(Subscriptions(), clock=None)
    assert exactly(aggregate_usage(usages, BOOK)) == exactly(in_python(usages))
    assert spy.batches == 1 and usage_module._compiled is None
