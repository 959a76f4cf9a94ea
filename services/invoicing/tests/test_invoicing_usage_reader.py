"""The compiled usage reader (`_usage_reader.c`) gives exactly what `read_in_python` gives, for
every message it takes; it takes the plainest messages the contracts write; and it leaves anything
else (which `read_usage_message` then reads in Python: the tests of `usage_messages` cover that)."""

import gc
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from billing_contracts import UsageRecordedV1, new_envelope

from invoicing.adapters import usage_messages
from invoicing.adapters.usage_messages import UsageMessage, read_in_python, read_usage_message

from .test_invoicing_usage_messages import REFUSED_OR_LEFT_TO_THE_CONTRACTS, TAKEN, TRACE, message, outcome, seen

pytestmark = pytest.mark.skipif(not usage_messages.COMPILED, reason="the compiled reader is not built (no C compiler)")


def read_plain(value: bytes):
    from invoicing.adapters import _usage_reader
    return _usage_reader.read_plain(value)


def written_by_the_contracts(**attributes) -> bytes:
    usage = UsageRecordedV1(billing_account_id="ba_7Hq2kLm9", project_id="prj_1", meter="storage.gb_months",
                            quantity=Decimal("0.25"), occurred_at=datetime(2026, 11, 2, 3, 4, 5, 120000, UTC),
                            properties=attributes.pop("properties", {}))
    return new_envelope(usage, source="/tests", **attributes).to_bytes()


PLAIN = {
    "as the contracts write it": written_by_the_contracts(),
    "with a trace": written_by_the_contracts(traceparent=TRACE, tracestate="congo=t61rcWkgMzE"),
    "with properties": written_by_the_contracts(properties={"region": "eu-west-1", "zone": "b"}),
    "spaced out": message(),
    "an envelope time of its own": message(time="2026-11-02T03:00:00Z"),
    "a whole second": message({"occurred_at": "2026-11-02T03:04:05Z"}),
    "a tenth of a second": message({"occurred_at": "2026-11-02T03:04:05.1Z"}),
    "a leap day": message({"occurred_at": "2028-02-29T23:59:59.999999Z"}),
    "a null trace": message(traceparent=None, tracestate=None),
    "no properties": message({"properties": ...}),
    "the largest quantity": message({"quantity": "9" * 20 + "." + "9" * 18}),
    "a whole quantity": message({"quantity": "7"}),
}

LEFT_TO_PYTHON = {  # read there, to the same values: the compiled reader need not know these forms
    "an escaped character": message({"project_id": "prj\\u005f1"}).replace(b"prj\\\\u005f1", b"prj\\u005f1"),
    "a letter that is not ASCII": message({"properties": {"city": "Zürich"}}),
    "another offset": message({"occurred_at": "2026-11-02T05:04:05+02:00"}),
    "an attribute the contract does not name": message(partitionkey="x"),
    "a data field the contract does not name": message({"region_hint": "eu"}),
    "a key twice": message().replace(b'{"specversion": "1.0"', b'{"specversion": "1.0", "specversion": "1.0"'),
}


@pytest.mark.parametrize("value", PLAIN.values(), ids=PLAIN.keys())
def test_it_reads_the_plainest_messages_to_what_python_reads(value):
    read = read_plain(value)
    assert isinstance(read, UsageMessage)
    assert read == read_in_python(value)
    assert seen(read) == seen(read_in_python(value))  # the same types too: Decimal, UTC datetimes
    assert read.time.tzinfo is UTC and read.data.occurred_at.tzinfo is UTC


@pytest.mark.parametrize("value", LEFT_TO_PYTHON.values(), ids=LEFT_TO_PYTHON.keys())
def test_it_leaves_other_forms_to_python(value):
    assert read_plain(value) is None
    assert isinstance(read_in_python(value), UsageMessage)
    assert read_usage_message(value) == read_in_python(value)


CASES = {**TAKEN, **REFUSED_OR_LEFT_TO_THE_CONTRACTS, **PLAIN, **LEFT_TO_PYTHON}


@pytest.mark.parametrize("value", CASES.values(), ids=CASES.keys())
def test_whatever_it_takes_python_takes_to_the_same_values(value):
    read = read_plain(value)
    if read is not None:
        assert seen(read) == seen(read_in_python(value))
    assert outcome(read_usage_message, value) == outcome(read_in_python, value)


MUTATIONS = b'"\\ 0 9aAfzZT.-:,{}[]\x00\x1f\x7f\x80\xc3nul1'


def variants(value: bytes):
    """Every one-byte change of the message (each byte replaced by each of `MUTATIONS`, left out,
    doubled) and every truncation: forms near the plainest one, most of them broken."""
    for i in range(len(value)):
        for byte in MUTATIONS:
            if byte != value[i]:
                yield value[:i] + bytes([byte]) + value[i + 1:]
        yield value[:i] + value[i + 1:]
        yield value[:i] + value[i:i + 1] + value[i:]
        yield value[:i]


@pytest.mark.parametrize("base", ["as the contracts write it", "with a trace", "with properties"])
def test_near_the_plainest_form_it_takes_only_what_python_takes_and_to_the_same_values(base):
    taken = 0
    for value in variants(PLAIN[base]):
        read = read_plain(value)
        if read is None:
            continue
        taken += 1
        expected = read_in_python(value)
        assert isinstance(expected, UsageMessage), value
        assert seen(read) == seen(expected), value
    assert taken > 100  # changed digits and letters inside the values are still plain messages


def test_empty_objects_are_left_to_the_contracts_refusal():
    for value in (b"{}", message().split(b'"data": ')[0] + b'"data": {}}'):
        assert read_plain(value) is None
        assert outcome(read_usage_message, value) == outcome(read_in_python, value)


def test_other_than_bytes_goes_to_python():
    value = PLAIN["as the contracts write it"]
    assert read_usage_message(bytearray(value)) == read_in_python(value)


def test_it_keeps_nothing_of_what_it_read():
    """Every object it makes is released with the message (a reference counted once too often in
    C would keep each message's objects for ever)."""
    values = [PLAIN["with properties"], PLAIN["an envelope time of its own"],
              PLAIN["as the contracts write it"].replace(b'"quantity":"0.25"', b'"quantity":"x"')]
    tracemalloc.start()  # (it counts only what it saw allocated: the first reads happen while it looks)
    try:
        for _ in range(1_000):
            for value in values:
                read_plain(value)
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(20_000):
            for value in values:
                read_plain(value)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 512 * 1024  # 60,000 messages' objects leaked would be many megabytes


def test_what_it_reuses_is_bounded_and_released_when_replaced():
    """Identifiers and quantities read lately are reused (one object for one text), in a table of
    fixed size: a stream of ever new ones replaces them, and the replaced ones are released."""
    base = PLAIN["as the contracts write it"]
    first, again = read_plain(base), read_plain(base)
    assert first.data.project_id is again.data.project_id and first.data.quantity is again.data.quantity
    assert first.data.billing_account_id is first.subject is again.subject

    def distinct(n: int) -> bytes:
        return (base.replace(b"ba_7Hq2kLm9", f"ba_{n:08d}".encode())
                .replace(b'"quantity":"0.25"', f'"quantity":"{n}.5"'.encode()))

    tracemalloc.start()  # (it counts only what it saw allocated: the table is filled while it looks)
    try:
        for n in range(30_000):  # more than the table holds
            read_plain(distinct(n))
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        for n in range(30_000, 60_000):
            read = read_plain(distinct(n))
        assert read.data.quantity == Decimal("59999.5") and read.subject == "ba_00059999"
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 512 * 1024  # a leak of 30,000 texts, Decimals or tuples would be megabytes
