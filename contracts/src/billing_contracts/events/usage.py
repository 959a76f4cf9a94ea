"""Usage: what a project consumed, metered by the platform and rated by invoicing."""

from typing import ClassVar

from pydantic import Field

from billing_contracts.events.base import Event
from billing_contracts.values import Identifier, MeterCode, Quantity, UtcDatetime


class UsageRecordedV1(Event):
    """A project consumed `quantity` of a meter at `occurred_at`; invoicing rates and bills it.

    The envelope `id` is the deduplication key: a producer that retries a send reuses it,
    and invoicing counts each id once. It is not repeated in `data`.
    """

    event_type: ClassVar[str] = "usage.recorded"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "occurred_at"

    project_id: Identifier = Field(
        description="The project that consumed the usage; the billing account pays for it.",
        examples=["prj_4kT9wQ"],
    )
    meter: MeterCode = Field(
        description="The meter code the price book prices: lower-case words joined by dots.",
        examples=["compute.vcpu_hours", "storage.gb_months", "api.requests"],
    )
    quantity: Quantity = Field(
        description="How much was consumed, in the meter's unit; an exact decimal, never negative.",
        examples=["0.000001", "12.5", "3"],
    )
    occurred_at: UtcDatetime = Field(
        description="When the usage happened (UTC); it decides the billing period it falls in.",
        examples=["2026-05-01T12:00:00Z"],
    )
    properties: dict[str, str] = Field(
        default_factory=dict,
        description="Dimensions of the usage, for unique counts and per-dimension prices.",
        examples=[{"region": "eu-west-1"}, {}],
    )
