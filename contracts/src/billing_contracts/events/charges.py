"""Charges, published by payments: each attempt to collect an invoice's amount."""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from billing_contracts.events.base import Event
from billing_contracts.values import Attempt, CurrencyCode, CustomerText, Identifier, MinorUnits, UtcDatetime

INVOICE_ID = Field(description="The invoice the charge collects.", examples=["inv_8Fq2Lz"])
ATTEMPT = Field(description="1 for the first charge of the invoice, 2 for the first retry, ...", examples=[1, 2])
AMOUNT = Field(description="The amount charged, in minor units of `currency`.", examples=[4200])
CURRENCY = Field(description="ISO 4217 currency of the amount.", examples=["EUR", "USD"])


class ChargeFailureKind(StrEnum):
    """Why a charge failed, in the terms that decide what happens next."""

    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION_REQUIRED = "authentication_required"
    """The bank wants the customer to confirm (3-D Secure): retrying alone will not help."""
    NO_PAYMENT_METHOD = "no_payment_method"
    PROCESSING_ERROR = "processing_error"
    """A fault at the payment provider; a retry usually succeeds."""


class ChargeSucceededV1(Event):
    """An invoice's amount was collected."""

    event_type: ClassVar[str] = "charge.succeeded"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "paid_at"

    invoice_id: Identifier = INVOICE_ID
    attempt: Attempt = ATTEMPT
    amount: MinorUnits = AMOUNT
    currency: CurrencyCode = CURRENCY
    payment_intent_id: Identifier = Field(
        description="The payment provider's id of the payment, for support and refunds.",
        examples=["pi_3Mtw2Lq2eZvKYlo2"],
    )
    paid_at: UtcDatetime = Field(description="When the charge succeeded (UTC).", examples=["2026-05-01T00:06:00Z"])


class ChargeFailedV1(Event):
    """A charge of an invoice failed; `final` says whether payments will try again."""

    event_type: ClassVar[str] = "charge.failed"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "failed_at"

    invoice_id: Identifier = INVOICE_ID
    invoice_number: Identifier = Field(
        description="The number printed on the invoice, for the email to the customer.",
        examples=["INV-2026-000123"],
    )
    attempt: Attempt = ATTEMPT
    amount: MinorUnits = AMOUNT
    currency: CurrencyCode = CURRENCY
    failure_kind: ChargeFailureKind = Field(
        description="Why the charge failed, in the terms that decide what happens next.",
        examples=["insufficient_funds"],
    )
    decline_code: str | None = Field(
        default=None,
        max_length=100,
        description="The card issuer's decline code when the provider gives one; for support only.",
        examples=["insufficient_funds", None],
    )
    customer_message: CustomerText = Field(
        description="What to tell the customer; never card data nor provider internals.",
        examples=["Your card has insufficient funds."],
    )
    next_retry_at: UtcDatetime | None = Field(
        default=None,
        description="When payments will try again (UTC); null when it will not retry on its own.",
        examples=["2026-05-04T00:00:00Z", None],
    )
    final: bool = Field(
        description="True when payments gives up on the invoice: there will be no further attempt.",
        examples=[False, True],
    )
    failed_at: UtcDatetime = Field(description="When the charge failed (UTC).", examples=["2026-05-01T00:06:00Z"])

    @model_validator(mode="after")
    def _final_has_no_retry(self) -> "ChargeFailedV1":
        if self.final and self.next_retry_at is not None:
            raise ValueError("a final failure has no next_retry_at")
        return self
