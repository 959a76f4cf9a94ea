"""Invoices, published by invoicing: finalized, then paid, due, not paid or voided.

Billing periods are half-open UTC intervals: usage with `period_start <= occurred_at <
period_end` belongs to the period. Datetimes rather than dates, so there is no question of
which time zone a date boundary is in, nor whether the end is inclusive.
"""

from typing import ClassVar

from pydantic import Field, model_validator

from billing_contracts.events.base import Event
from billing_contracts.values import CurrencyCode, CustomerText, Identifier, MinorUnits, UtcDatetime

INVOICE_ID = Field(description="The invoice, as invoicing identifies it.", examples=["inv_8Fq2Lz"])
INVOICE_NUMBER = Field(
    description="The number printed on the invoice and shown to the customer.",
    examples=["INV-2026-000123"],
)
CURRENCY = Field(description="ISO 4217 currency of the amounts.", examples=["EUR", "USD"])


class InvoiceFinalizedV1(Event):
    """An invoice was finalized: its amount is fixed and payments may charge it."""

    event_type: ClassVar[str] = "invoice.finalized"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "finalized_at"

    invoice_id: Identifier = INVOICE_ID
    invoice_number: Identifier = INVOICE_NUMBER
    project_id: Identifier | None = Field(
        default=None,
        description="The project invoiced, when the account is invoiced per project; else null.",
        examples=["prj_4kT9wQ", None],
    )
    period_start: UtcDatetime = Field(
        description="Start of the billing period (UTC, inclusive).",
        examples=["2026-04-01T00:00:00Z"],
    )
    period_end: UtcDatetime = Field(
        description="End of the billing period (UTC, exclusive).",
        examples=["2026-05-01T00:00:00Z"],
    )
    currency: CurrencyCode = CURRENCY
    amount_due: MinorUnits = Field(
        description="What the customer owes, in minor units of `currency`, taxes included.",
        examples=[4200],
    )
    due_at: UtcDatetime = Field(
        description="When payment is due (UTC).",
        examples=["2026-05-15T00:00:00Z"],
    )
    finalized_at: UtcDatetime = Field(
        description="When the invoice was finalized (UTC).",
        examples=["2026-05-01T00:05:00Z"],
    )

    @model_validator(mode="after")
    def _period_is_not_empty(self) -> "InvoiceFinalizedV1":
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


class _InvoiceStatusEvent(Event):
    """What every invoice status event says about the invoice."""

    invoice_id: Identifier = INVOICE_ID
    invoice_number: Identifier = INVOICE_NUMBER
    amount: MinorUnits = Field(
        description="The invoice's amount due, in minor units of `currency`.",
        examples=[4200],
    )
    currency: CurrencyCode = CURRENCY


class InvoicePaidV1(_InvoiceStatusEvent):
    """The invoice was paid in full."""

    event_type: ClassVar[str] = "invoice.paid"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "paid_at"

    paid_at: UtcDatetime = Field(description="When the payment succeeded (UTC).", examples=["2026-05-01T00:06:00Z"])


class InvoicePaymentDueV1(_InvoiceStatusEvent):
    """The invoice awaits payment that will not happen automatically: the customer must act."""

    event_type: ClassVar[str] = "invoice.payment_due"
    schema_version: ClassVar[int] = 1

    due_at: UtcDatetime = Field(description="When payment is due (UTC).", examples=["2026-05-15T00:00:00Z"])


class InvoiceNotPaidV1(_InvoiceStatusEvent):
    """Collection gave up: every retry failed or the due date passed; the invoice is unpaid."""

    event_type: ClassVar[str] = "invoice.not_paid"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "not_paid_at"

    not_paid_at: UtcDatetime = Field(
        description="When the invoice was marked not paid (UTC).",
        examples=["2026-05-16T00:00:00Z"],
    )


class InvoiceVoidedV1(_InvoiceStatusEvent):
    """The invoice was cancelled; nothing is owed on it any more."""

    event_type: ClassVar[str] = "invoice.voided"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "voided_at"

    voided_at: UtcDatetime = Field(description="When the invoice was voided (UTC).", examples=["2026-05-02T09:30:00Z"])
    reason: CustomerText = Field(
        description="Why the invoice was voided, in words the customer may read.",
        examples=["Issued in error; replaced by INV-2026-000124."],
    )
