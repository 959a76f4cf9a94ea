"""Value types shared by the envelope and the event contracts.

Money is an integer number of minor units (cents) with an ISO 4217 currency, never a float.
Quantities are `Decimal`, written in JSON as a fixed-point string ("0.000001") so no reader
ever sees a binary float. Times are timezone-aware and normalised to UTC; naive datetimes
are rejected, because a time without a zone cannot be placed in a billing period.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer, StringConstraints, WithJsonSchema

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer every JSON reader (JavaScript included) holds exactly."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _without_negative_zero(value: Decimal) -> Decimal:
    return value.copy_abs() if value.is_zero() else value


def _fixed_point(value: Decimal) -> str:
    return format(value, "f")


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An instant: any UTC offset is accepted and converted to UTC; naive datetimes are rejected."""

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""An opaque id issued by the service that owns the entity (for example "inv_8Fq2")."""

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 alphabetic code, upper case."""

MinorUnits = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)]
"""An amount of money in the currency's minor unit (cents for EUR and USD, yen for JPY)."""

Quantity = Annotated[
    Decimal,
    Field(ge=0, max_digits=38, decimal_places=18, allow_inf_nan=False),
    AfterValidator(_without_negative_zero),
    PlainSerializer(_fixed_point, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?$"}, mode="serialization"),
]
"""A finite, non-negative decimal; JSON numbers are read exactly, JSON output is a string."""

MeterCode = Annotated[str, StringConstraints(max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
"""Lower-case words joined by dots, for example "compute.vcpu_hours"."""

EmailAddress = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]

CustomerText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
"""Text safe to show a customer: no card data, no internal error details."""

SnapshotVersion = Annotated[int, Field(ge=1)]
"""Increases with every change of the entity; replicas ignore a snapshot not newer than theirs."""

Attempt = Annotated[int, Field(ge=1)]
"""1 for the first charge of an invoice, 2 for the first retry, and so on."""
