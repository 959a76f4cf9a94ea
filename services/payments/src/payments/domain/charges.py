"""Charging an invoice: a charge's states, the outcome of one attempt, and the events they make.

due -> in_flight -> succeeded | failed. An attempt is `in_flight` from the moment its
idempotency key is stored until its outcome is known; the key is stored before the payment
provider is called, so an attempt interrupted at any point is resolved with that same key
and never becomes a second payment.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from billing_contracts import ChargeFailedV1, ChargeFailureKind, ChargeSucceededV1, InvoiceFinalizedV1

from payments.domain.errors import ChargeStateError

ZERO_AMOUNT_PAYMENT = "no_payment_needed"
"""Stands for the payment of an invoice of zero: the contract wants an id, and no payment exists."""

CUSTOMER_MESSAGES = {
    ChargeFailureKind.DECLINED:
        "Your card was declined. Please add another card or contact your bank, then pay the invoice.",
    ChargeFailureKind.INSUFFICIENT_FUNDS:
        "Your card has insufficient funds. Please add another card or top up your card, then pay the invoice.",
    ChargeFailureKind.AUTHENTICATION_REQUIRED:
        "Your bank asks you to confirm this payment. Please pay the invoice from your billing dashboard.",
    ChargeFailureKind.NO_PAYMENT_METHOD:
        "There is no card on file for this billing account. Please add a card, then pay the invoice.",
    ChargeFailureKind.PROCESSING_ERROR:
        "The payment could not be processed. Please try again later from your billing dashboard.",
}


class ChargeStatus(StrEnum):
    DUE = "due"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ChargeSucceeded:
    payment_intent_id: str


@dataclass(frozen=True)
class ChargeFailure:
    kind: ChargeFailureKind
    decline_code: str | None
    customer_message: str

    @classmethod
    def of_kind(cls, kind: ChargeFailureKind, decline_code: str | None = None) -> "ChargeFailure":
        return cls(kind, decline_code, CUSTOMER_MESSAGES[kind])


@dataclass(frozen=True)
class ChargeOutcomeUnknown:
    """The provider could not say whether money moved (network, 5xx): not a failure."""

    reason: str


ChargeOutcome = ChargeSucceeded | ChargeFailure | ChargeOutcomeUnknown


def idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"charge-{invoice_id}-{attempt}"


def retry_after_failure(failure: ChargeFailure, attempt: int) -> datetime | None:
    """When to try again after a failed attempt: not yet decided by anyone (no retry schedule)."""
    return None


@dataclass(frozen=True)
class Charge:
    """The collection of one invoice's amount, in minor units of `currency`."""

    invoice_id: str
    invoice_number: str
    billing_account_id: str
    amount: int
    currency: str
    status: ChargeStatus
    updated_at: datetime
    attempt: int = 0
    idempotency_key: str | None = None
    payment_method_id: str | None = None
    payment_intent_id: str | None = None
    failure_kind: ChargeFailureKind | None = None
    decline_code: str | None = None

    @classmethod
    def for_invoice(
        cls, invoice: InvoiceFinalizedV1, now: datetime
    ) -> tuple["Charge", ChargeSucceededV1 | None]:
        """The charge of a finalized invoice: due, or settled at once when nothing is owed."""
        charge = cls(
            invoice_id=invoice.invoice_id,
            invoice_number=invoice.invoice_number,
            billing_account_id=invoice.billing_account_id,
            amount=invoice.amount_due,
            currency=invoice.currency,
            status=ChargeStatus.DUE,
            updated_at=now,
        )
        if invoice.amount_due > 0:
            return charge, None
        return charge._succeeded(attempt=1, payment_intent_id=None, now=now, reported_id=ZERO_AMOUNT_PAYMENT)

    def start_attempt(self, payment_method_id: str, now: datetime) -> "Charge":
        """The next attempt, with its idempotency key, to be stored before the provider is called."""
        self._require(ChargeStatus.DUE)
        attempt = self.attempt + 1
        return replace(
            self, status=ChargeStatus.IN_FLIGHT, attempt=attempt, idempotency_key=idempotency_key(self.invoice_id, attempt),
            payment_method_id=payment_method_id, updated_at=now,
        )

    def succeed(self, payment_intent_id: str, now: datetime) -> tuple["Charge", ChargeSucceededV1]:
        self._require(ChargeStatus.IN_FLIGHT)
        return self._succeeded(self.attempt, payment_intent_id, now, reported_id=payment_intent_id)

    def fail(self, failure: ChargeFailure, now: datetime) -> tuple["Charge", ChargeFailedV1]:
        """A failed attempt: the one in flight, or, from `due`, one that could not even start
        (no card on file) and still counts as an attempt."""
        self._require(ChargeStatus.IN_FLIGHT, ChargeStatus.DUE)
        attempt = self.attempt if self.status is ChargeStatus.IN_FLIGHT else self.attempt + 1
        failed = replace(
            self, status=ChargeStatus.FAILED, attempt=attempt, failure_kind=failure.kind,
            decline_code=failure.decline_code, updated_at=now,
        )
        next_retry_at = retry_after_failure(failure, attempt)
        return failed, ChargeFailedV1(
            billing_account_id=self.billing_account_id,
            invoice_id=self.invoice_id,
            invoice_number=self.invoice_number,
            attempt=attempt,
            amount=self.amount,
            currency=self.currency,
            failure_kind=failure.kind,
            decline_code=failure.decline_code,
            customer_message=failure.customer_message,
            next_retry_at=next_retry_at,
            final=next_retry_at is None,
            failed_at=now,
        )

    def still_unknown(self, now: datetime) -> "Charge":
        """The attempt stays in flight; touched so it is looked at again only after a while."""
        self._require(ChargeStatus.IN_FLIGHT)
        return replace(self, updated_at=now)

    def _succeeded(
        self, attempt: int, payment_intent_id: str | None, now: datetime, reported_id: str
    ) -> tuple["Charge", ChargeSucceededV1]:
        succeeded = replace(
            self, status=ChargeStatus.SUCCEEDED, attempt=attempt, payment_intent_id=payment_intent_id,
            failure_kind=None, decline_code=None, updated_at=now,
        )
        return succeeded, ChargeSucceededV1(
            billing_account_id=self.billing_account_id,
            invoice_id=self.invoice_id,
            attempt=attempt,
            amount=self.amount,
            currency=self.currency,
            payment_intent_id=reported_id,
            paid_at=now,
        )

    def _require(self, *statuses: ChargeStatus) -> None:
        if self.status not in statuses:
            allowed = " or ".join(statuses)
            raise ChargeStateError(f"charge of invoice {self.invoice_id} is {self.status}, not {allowed}")
