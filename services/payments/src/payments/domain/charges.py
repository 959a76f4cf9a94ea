"""Charging an invoice: a charge's states, and the events its moves make.

due -> in_flight -> succeeded | due (a retry is scheduled at `next_attempt_at`) | failed (final).
An attempt is `in_flight` from the moment its idempotency key is stored until its outcome is
known; the key is stored before the payment provider is called, so an attempt interrupted at
any point is resolved with that same key and never becomes a second payment. A charge whose
invoice was voided, or paid some other way, is closed (`voided`, `paid_elsewhere`) and never
charged again.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from billing_contracts import ChargeFailedV1, ChargeFailureKind, ChargeSucceededV1, InvoiceFinalizedV1

from payments.domain.errors import ChargeStateError
from payments.domain.outcomes import (  # noqa: F401 - re-exported: the outcomes belong to charging
    CUSTOMER_MESSAGES, ChargeFailure, ChargeOutcome, ChargeOutcomeUnknown, ChargeSucceeded,
)
from payments.domain.retries import RetrySchedule

ZERO_AMOUNT_PAYMENT = "no_payment_needed"
"""Stands for the payment of an invoice of zero: the contract wants an id, and no payment exists."""


class ChargeStatus(StrEnum):
    DUE = "due"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    VOIDED = "voided"
    PAID_ELSEWHERE = "paid_elsewhere"


OPEN = (ChargeStatus.DUE, ChargeStatus.IN_FLIGHT, ChargeStatus.FAILED)
"""Statuses of a charge whose invoice is still owed."""


def idempotency_key(invoice_id: str, attempt: int) -> str:
    return f"charge-{invoice_id}-{attempt}"


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
    next_attempt_at: datetime | None = None
    """When the worker makes the next automatic attempt (while `due`)."""
    first_failed_at: datetime | None = None
    """The retry schedule counts from here."""
    by_hand: bool = False
    """Whether the latest attempt was the customer's own (it leaves the schedule as it was)."""

    @classmethod
    def for_invoice(cls, invoice: InvoiceFinalizedV1, now: datetime) -> tuple["Charge", ChargeSucceededV1 | None]:
        """The charge of a finalized invoice: due now, or settled at once when nothing is owed."""
        charge = cls(
            invoice_id=invoice.invoice_id, invoice_number=invoice.invoice_number,
            billing_account_id=invoice.billing_account_id, amount=invoice.amount_due, currency=invoice.currency,
            status=ChargeStatus.DUE, updated_at=now, next_attempt_at=now,
        )
        if invoice.amount_due > 0:
            return charge, None
        return charge._succeeded(attempt=1, payment_intent_id=None, now=now, reported_id=ZERO_AMOUNT_PAYMENT)

    def start_attempt(self, payment_method_id: str, now: datetime, by_hand: bool = False) -> "Charge":
        """The next attempt, with its idempotency key, to be stored before the provider is called.
        The customer may pay by hand after automatic collection ended (`failed`)."""
        self._require(ChargeStatus.DUE, *((ChargeStatus.FAILED,) if by_hand else ()))
        attempt = self.attempt + 1
        return replace(
            self, status=ChargeStatus.IN_FLIGHT, attempt=attempt, idempotency_key=idempotency_key(self.invoice_id, attempt),
            payment_method_id=payment_method_id, payment_intent_id=None, updated_at=now, by_hand=by_hand,
            next_attempt_at=self.next_attempt_at if self.status is ChargeStatus.DUE else None,
        )

    def succeed(self, payment_intent_id: str, now: datetime) -> tuple["Charge", ChargeSucceededV1]:
        self._require(ChargeStatus.IN_FLIGHT)
        return self._succeeded(self.attempt, payment_intent_id, now, reported_id=payment_intent_id)

    def succeed_later(self, payment_intent_id: str, now: datetime) -> tuple["Charge", ChargeSucceededV1]:
        """The provider says the latest attempt's payment went through after all (the customer
        completed authentication, or a payment being processed settled)."""
        self._require(ChargeStatus.IN_FLIGHT, ChargeStatus.DUE, ChargeStatus.FAILED)
        return self._succeeded(self.attempt, payment_intent_id, now, reported_id=payment_intent_id)

    def fail(self, failure: ChargeFailure, now: datetime, schedule: RetrySchedule) -> tuple["Charge", ChargeFailedV1]:
        """A failed attempt: the one in flight, or, from `due`, one that could not even start
        (no card on file) and still counts as an attempt. An automatic attempt schedules the
        next retry, if the failure is retryable and retries are left; one made by hand keeps
        the schedule as it was."""
        self._require(ChargeStatus.IN_FLIGHT, ChargeStatus.DUE)
        attempt = self.attempt if self.status is ChargeStatus.IN_FLIGHT else self.attempt + 1
        first_failed_at = self.first_failed_at or now
        if self.status is ChargeStatus.IN_FLIGHT and self.by_hand:
            next_attempt_at = None if self.next_attempt_at is None else max(now, self.next_attempt_at)
        elif failure.retryable:
            next_attempt_at = schedule.next_attempt_after(first_failed_at, attempt, now)
        else:
            next_attempt_at = None
        failed = replace(
            self, status=ChargeStatus.FAILED if next_attempt_at is None else ChargeStatus.DUE, attempt=attempt,
            failure_kind=failure.kind, decline_code=failure.decline_code, payment_intent_id=failure.payment_intent_id,
            updated_at=now, next_attempt_at=next_attempt_at, first_failed_at=first_failed_at,
        )
        return failed, ChargeFailedV1(
            billing_account_id=self.billing_account_id, invoice_id=self.invoice_id, invoice_number=self.invoice_number,
            attempt=attempt, amount=self.amount, currency=self.currency, failure_kind=failure.kind,
            decline_code=failure.decline_code, customer_message=failure.customer_message,
            next_retry_at=next_attempt_at, final=next_attempt_at is None, failed_at=now,
        )

    def still_unknown(self, now: datetime) -> "Charge":
        """The attempt stays in flight; touched so it is looked at again only after a while."""
        self._require(ChargeStatus.IN_FLIGHT)
        return replace(self, updated_at=now)

    def close(self, status: ChargeStatus, now: datetime) -> "Charge":
        """The invoice was voided or paid some other way: no attempt is made any more, and an
        attempt in flight is not recorded (its worker's commit finds the charge changed)."""
        if status not in (ChargeStatus.VOIDED, ChargeStatus.PAID_ELSEWHERE):
            raise ChargeStateError(f"{status} does not close a charge")
        self._require(*OPEN)
        return replace(self, status=status, next_attempt_at=None, updated_at=now)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def _succeeded(
        self, attempt: int, payment_intent_id: str | None, now: datetime, reported_id: str
    ) -> tuple["Charge", ChargeSucceededV1]:
        succeeded = replace(
            self, status=ChargeStatus.SUCCEEDED, attempt=attempt, payment_intent_id=payment_intent_id,
            failure_kind=None, decline_code=None, updated_at=now, next_attempt_at=None,
        )
        return succeeded, ChargeSucceededV1(
            billing_account_id=self.billing_account_id, invoice_id=self.invoice_id, attempt=attempt,
            amount=self.amount, currency=self.currency, payment_intent_id=reported_id, paid_at=now,
        )

    def _require(self, *statuses: ChargeStatus) -> None:
        if self.status not in statuses:
            allowed = " or ".join(statuses)
            raise ChargeStateError(f"charge of invoice {self.invoice_id} is {self.status}, not {allowed}")
