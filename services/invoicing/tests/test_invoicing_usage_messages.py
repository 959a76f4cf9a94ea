"""The fast reading of usage messages gives what the contracts' `parse_event` gives: the same values
for what it takes itself, and for anything else `parse_event`'s own result or error."""

import gc
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from billing_contracts import ContractError, UsageRecordedV1, new_envelope, parse_event

from invoicing.adapters.usage_messages import UsageMessage, read_usage_message

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
USAGE = json.loads(new_envelope(
    UsageRecordedV1(billing_account_id="ba_1", project_id="prj_1", meter="compute.vcpu_hours", quantity=Decimal("12.50"),
                    occurred_at=datetime(2026, 11, 2, 3, 4, 5, 123456, UTC), properties={"region": "eu-west-1"}),
    source="/tests", traceparent=TRACE, tracestate="congo=t61rcWkgMzE").to_bytes())


def message(data=None, **attributes) -> bytes:
    """The message with attributes and data fields replaced (`...`: left out)."""
    document = {**USAGE, **attributes}
    if data is not ...:
        document["data"] = {k: v for k, v in {**USAGE["data"], **(data or {})}.items() if v is not ...}
    return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()


def seen(envelope) -> tuple:
    """Everything the consumer and the usage handler read, with the exact form of each value (the
    id as the inbox compares it: its text)."""
    d = envelope.data
    return (str(envelope.id), envelope.type, envelope.subject, envelope.time, envelope.time.tzinfo, envelope.traceparent,
            d.billing_account_id, d.project_id, d.meter, str(d.quantity), type(d.quantity), d.occurred_at,
            d.occurred_at.tzinfo, dict(d.properties))


def outcome(read, value: bytes):
    try:
        return seen(read(value))
    except ContractError as error:
        return type(error), str(error)


TAKEN = {
    "as written by the contracts": message(),
    "another offset, read in UTC": message({"occurred_at": "2026-11-02T05:04:05.5+02:00"}, time="2026-11-02T05:04:05+02:00"),
    "no trace, no properties": message({"properties": ...}, traceparent=..., tracestate=...),
    "a field added later": message({"region_hint": "eu"}, partitionkey="x"),
    "the largest quantity": message({"quantity": "9" * 20 + "." + "9" * 18}),
    "a zero": message({"quantity": "0.00"}),
}

REFUSED_OR_LEFT_TO_THE_CONTRACTS = {
    "a quantity as a JSON number": message({"quantity": 12.5}),
    "a whole JSON number": message({"quantity": 3}),
    "an exponent": message({"quantity": "1e2"}),
    "a negative quantity": message({"quantity": "-3"}),
    "a quantity with spaces": message({"quantity": " 1.5"}),
    "too many decimals": message({"quantity": "0." + "1" * 19}),
    "too many digits": message({"quantity": "1" * 21}),
    "a point without decimals": message({"quantity": "1."}),
    "decimals without units": message({"quantity": ".5"}),
    "digits that are not ASCII": message({"quantity": "\uff11\uff12"}),
    "a plus sign": message({"quantity": "+1"}),
    "digit groups": message({"quantity": "1_000"}),
    "an unknown meter code form": message({"meter": "GPU hours"}),
    "an empty meter code part": message({"meter": "compute..hours"}),
    "too long a meter code": message({"meter": "m" * 101}),
    "another account than the subject": message(subject="ba_2"),
    "a naive time": message({"occurred_at": "2026-11-02T03:04:05"}),
    "a lower-case time": message({"occurred_at": "2026-11-02t03:04:05z"}),
    "seven decimals of seconds": message({"occurred_at": "2026-11-02T03:04:05.1234567Z"}),
    "a leap second": message({"occurred_at": "2026-12-31T23:59:60Z"}),
    "a 30th of February": message({"occurred_at": "2026-02-30T10:00:00Z"}),
    "an offset of a day": message({"occurred_at": "2026-11-02T03:04:05+24:00"}),
    "a date alone": message({"occurred_at": "2026-11-02"}),
    "a space for the T": message({"occurred_at": "2026-11-02 03:04:05Z"}),
    "a Unix time": message({"occurred_at": 1793502245}),
    "another schema version": message(schemaversion=2),
    "another type": message(type="charge.failed"),
    "another CloudEvents version": message(specversion="0.3"),
    "an empty project": message({"project_id": ""}),
    "too long an account": message({"billing_account_id": "b" * 129}, subject="b" * 129),
    "a malformed traceparent": message(traceparent="00-xyz"),
    "too long a tracestate": message(tracestate="a" * 513),
    "an id that is no UUID": message(id="event-1"),
    "an id without dashes": message(id=USAGE["id"].replace("-", "")),
    "an upper-case id": message(id=USAGE["id"].upper()),
    "an id in braces": message(id="{" + USAGE["id"] + "}"),
    "an id with a space for a digit": message(id=USAGE["id"][:-1] + " "),
    "minutes without seconds": message({"occurred_at": "2026-11-02T03:04Z"}),
    "a comma before the decimals": message({"occurred_at": "2026-11-02T03:04:05,5Z"}),
    "an offset without a colon": message({"occurred_at": "2026-11-02T03:04:05+0200"}),
    "a week date": message({"occurred_at": "2026-W45-1T03:04:05Z"}),
    "an envelope time of no form": message(time="yesterday"),
    "a property that is no string": message({"properties": {"n": 1}}),
    "no data": message(...),
    "not JSON": b'{"specversion": "1.0",',
    "a JSON array": b"[1, 2]",
}


@pytest.mark.parametrize("value", TAKEN.values(), ids=TAKEN.keys())
def test_what_the_fast_path_takes_it_reads_to_the_contracts_values(value):
    read = read_usage_message(value)
    assert isinstance(read, UsageMessage)  # else this test would compare parse_event with itself
    assert seen(read) == seen(parse_event(value))
    assert read.id == str(parse_event(value).id)  # the canonical text: one event, one inbox key


@pytest.mark.parametrize("value", REFUSED_OR_LEFT_TO_THE_CONTRACTS.values(), ids=REFUSED_OR_LEFT_TO_THE_CONTRACTS.keys())
def test_anything_else_reads_as_parse_event_reads_it_or_fails_with_its_error(value):
    assert outcome(read_usage_message, value) == outcome(parse_event, value)


def test_a_quantity_the_fast_path_leaves_is_still_read_exactly():
    read = read_usage_message(message({"quantity": 0.1}))
    assert read.data.quantity == Decimal("0.1")


def test_the_mismatch_the_contracts_refuse_is_refused_with_their_reason():
    with pytest.raises(ContractError, match=re.escape("is not the subject")):
        read_usage_message(message(subject="ba_2"))


def test_the_fast_path_leaves_the_garbage_collector_nothing_to_walk_but_the_usage():
    """A batch holds tens of thousands of these: each object the collector tracks is walked at
    every full collection. The message struct is not tracked; the usage tuple holds a dict."""
    read = read_usage_message(message())
    assert not gc.is_tracked(read)
