"""Reading `usage.recorded` messages fast: the one stream whose volume makes reading them matter.

`read_in_python` decodes the bytes once, straight into small typed structs (msgspec, in C),
checking every rule the contract states: the envelope's fixed attributes, the identifiers' lengths,
the meter code's pattern, an aware `occurred_at`, the trace context's form, the subject being the
billing account. It takes only a subset of what `parse_event` takes, and reads it to the same
values: quantities only as the contract writes them (a fixed-point string, at most 38 digits and 18
decimals), times converted to UTC, the id only in its canonical form (which it keeps as text: that
text is what the inbox compares, and a `UUID` object would cost more to make and hash than the rest
of the message). Anything else (a quantity given as a JSON number, another schema version, a
broken message) is read by `parse_event`, which gives the contracts' envelope or the
`ContractError` naming what is wrong, so dead letters keep the contracts' reasons.

`read_usage_message` is what the consumer calls: where `make install` could build it (a C compiler
is there), the compiled reader `_usage_reader.c` reads the plainest messages itself and leaves the
rest to `read_in_python`; else `read_in_python` reads them all. In three interleaved pairs of `make
bench` runs (2026-11-29), Python then compiled: a consumer's CPU per event 11.3 -> 9.2, 11.6 -> 8.8,
11.4 -> 9.9 µs; L4/L1 0.385 -> 0.471, 0.396 -> 0.435, 0.371 -> 0.473. Alone, on 200,000 of the
bench's messages, reading one took 3.1 µs in Python and 1.5 compiled.

The usage is read straight into the domain's `Usage`, the one object per event the handler needs.
The structs are not tracked by the garbage collector (`gc=False`: they never form a cycle): a
batch holds tens of thousands, and each tracked one is walked at every full collection.
"""

import os
import re
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal

import msgspec
from billing_contracts import parse_event
from billing_contracts.envelope import TRACEPARENT_PATTERN

from invoicing.domain.usage import Usage

_Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
_METER_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_meter_codes_seen: set[str] = set()
"""Meter codes already checked: a stream has a few, each matched once instead of per message."""
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A UUID as `str(UUID)` writes it (the contracts take other forms too, and read them to this one:
those go their way)."""
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII)
"""RFC 3339 as the contracts write it: `T`, seconds, at most six decimals, `Z` or an offset."""


class _RawUsageData(msgspec.Struct, gc=False):
    billing_account_id: _Identifier
    project_id: _Identifier
    meter: Annotated[str, msgspec.Meta(max_length=100)]
    quantity: str
    occurred_at: str
    properties: dict[str, str] = {}


class _RawEnvelope(msgspec.Struct, gc=False):
    specversion: Literal["1.0"]
    id: str
    type: Literal["usage.recorded"]
    source: Annotated[str, msgspec.Meta(min_length=1)]
    time: str
    schemaversion: Literal[1]
    subject: _Identifier
    data: _RawUsageData
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: Annotated[str, msgspec.Meta(pattern=TRACEPARENT_PATTERN)] | None = None
    tracestate: Annotated[str, msgspec.Meta(max_length=512)] | None = None


class UsageMessage(msgspec.Struct, frozen=True, gc=False):
    """What the consumer and the usage handler use of an `Envelope[UsageRecordedV1]`, same names;
    `id` is the UUID's canonical text, `data` the usage (with the fields of `UsageRecordedV1`)."""

    id: str
    type: str
    subject: str
    time: datetime
    traceparent: str | None
    data: Usage


_DECODER = msgspec.json.Decoder(_RawEnvelope)
_from_iso = datetime.fromisoformat
_new_tuple = tuple.__new__


def read_in_python(value: bytes):
    """The message as `UsageMessage` when it takes the fast path, else what `parse_event` reads
    (an `Envelope[UsageRecordedV1]`, or it raises the `ContractError`)."""
    try:
        raw = _DECODER.decode(value)
    except msgspec.MsgspecError:
        return parse_event(value)
    data, occurred_at = raw.data, raw.data.occurred_at
    # The envelope's time is the usage's own unless the producer gave another: checked and read once.
    same_time = raw.time == occurred_at
    if (data.billing_account_id != raw.subject or not _fixed_point(data.quantity)
            or (data.meter not in _meter_codes_seen and not _meter_code(data.meter))
            or _CANONICAL_UUID.fullmatch(raw.id) is None or _INSTANT.fullmatch(occurred_at) is None
            or not (same_time or _INSTANT.fullmatch(raw.time))):
        return parse_event(value)  # the contracts refuse it and say why, or read it their way
    try:  # fromisoformat would take week dates, a space for the T, minutes alone...: hence `_INSTANT` first
        at = _from_iso(occurred_at)
        time = at if same_time else _from_iso(raw.time)
    except ValueError:  # a date or time out of range: the contracts say which
        return parse_event(value)
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    if time.tzinfo is not UTC:
        time = time.astimezone(UTC)
    # Usage is a named tuple: made from its values at once, past its generated `__new__` (a call
    # in Python that cost a tenth of this reading).
    usage = _new_tuple(Usage, (data.billing_account_id, data.project_id, data.meter, Decimal(data.quantity), at,
                               data.properties, raw.traceparent))
    return UsageMessage(raw.id, raw.type, raw.subject, time, raw.traceparent, usage)


def _fixed_point(quantity: str) -> bool:
    """Digits, then maybe a point and digits: at most 20 + 18 of them, always within the contract's
    38 digits, 18 of them decimals (string methods: several times faster than a regex here)."""
    whole, point, fraction = quantity.partition(".")
    return (quantity.isascii() and 0 < len(whole) <= 20 and whole.isdigit()
            and (not point or (0 < len(fraction) <= 18 and fraction.isdigit())))


def _meter_code(code: str) -> bool:
    """Whether a code not yet in `_meter_codes_seen` is a meter code (then remembered). The reader
    looks in the set itself first: a call less per message for the few codes a stream has."""
    if _METER_CODE.fullmatch(code) is None:
        return False
    if len(_meter_codes_seen) < 10_000:
        _meter_codes_seen.add(code)
    return True


try:  # built by `make install` (runtime/build_compiled.py) where a C compiler is
    from invoicing.adapters import _usage_reader
except ImportError:  # pragma: no cover - depends on the machine
    _usage_reader = None
if os.environ.get("INVOICING_USAGE_READER", "compiled") == "python":
    _usage_reader = None  # an operator's switch (and the bench's, to compare): every message read in Python

COMPILED = _usage_reader is not None
"""Whether the compiled reader reads the plainest messages (see `read_usage_message`)."""

if _usage_reader is not None:
    _usage_reader.configure(Usage, UsageMessage, Decimal, read_in_python, MappingProxyType({}))
    read_usage_message = _usage_reader.read
    """`read_in_python`'s result, made faster: messages in the plainest form of the contract (ASCII
    only, no escape in a string, times in UTC with `Z`, no attribute the contract does not name:
    what producers writing through the contracts send) are read by `_usage_reader.c`, checking
    the same rules, in less than half the time; it leaves any other to `read_in_python`."""
else:  # pragma: no cover - depends on the machine
    read_usage_message = read_in_python
