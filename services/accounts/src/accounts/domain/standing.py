"""Standing: whether an account may deploy, and why not, from what accounts knows of its
payment methods and invoices (replicas of payments' and invoicing's events)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from accounts.domain.billing_accounts import AccountStatus


class Reason(StrEnum):
    """Machine-readable reasons an account may not deploy."""

    NO_PAYMENT_METHOD = "no_payment_method"
    DELETION_REQUESTED = "deletion_requested"
    CLOSED = "closed"
    OVERDUE = "overdue"
    """An invoice was not paid after its retries (`invoice.not_paid`) and is not settled since."""


class InvoiceStatus(StrEnum):
    """An invoice as accounts knows it from invoicing's status events."""

    FINALIZED = "finalized"
    PAYMENT_DUE = "payment_due"
    NOT_PAID = "not_paid"
    PAID = "paid"
    VOID = "void"


# Events of one invoice come on different topics, so in any order. An invoice only moves
# forward: a later status never yields to an earlier one, and paid and void are final.
_PROGRESS = {
    InvoiceStatus.FINALIZED: 1,
    InvoiceStatus.PAYMENT_DUE: 2,
    InvoiceStatus.NOT_PAID: 3,
    InvoiceStatus.PAID: 4,
    InvoiceStatus.VOID: 4,
}
OUTSTANDING = frozenset({InvoiceStatus.FINALIZED, InvoiceStatus.PAYMENT_DUE, InvoiceStatus.NOT_PAID})


@dataclass(frozen=True)
class PrimaryCard:
    """What may be shown of the card charged by default (from payments' snapshot)."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class InvoiceStatusChange:
    """One invoice status event, as the invoice replica records it."""

    billing_account_id: str
    invoice_id: str
    invoice_number: str
    status: InvoiceStatus
    amount: int
    currency: str
    changed_at: datetime


def progress(status: InvoiceStatus) -> int:
    """How far along its life an invoice in `status` is; a status event applies only if it goes further."""
    return _PROGRESS[status]


@dataclass(frozen=True)
class Standing:
    may_deploy: bool
    reasons: tuple[Reason, ...]


def standing(status: AccountStatus, has_primary_payment_method: bool, has_unpaid_invoice: bool) -> Standing:
    reasons: list[Reason] = []
    if status is AccountStatus.CLOSED:
        reasons.append(Reason.CLOSED)
    elif status is AccountStatus.DELETION_REQUESTED:
        reasons.append(Reason.DELETION_REQUESTED)
    if not has_primary_payment_method:
        reasons.append(Reason.NO_PAYMENT_METHOD)
    if has_unpaid_invoice:
        reasons.append(Reason.OVERDUE)
    return Standing(may_deploy=not reasons, reasons=tuple(reasons))
