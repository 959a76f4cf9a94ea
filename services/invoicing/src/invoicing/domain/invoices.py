"""Invoices: lines priced from usage, the total, the number, and the status lifecycle.

draft → payment_pending → paid, or payment_due (a charge failed) → not_paid → paid; void from
any unpaid state. paid and void are settled: nothing moves them again, whatever order events
arrive in, so a late or repeated event about a settled invoice is ignored rather than refused.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.billed_to import BilledTo
from invoicing.domain.errors import InvalidInvoiceTransition, InvoiceAlreadyPaid
from invoicing.domain.money import invoice_total
from invoicing.domain.periods import BillingPeriod

PAYMENT_TERMS = timedelta(days=14)
"""An invoice is due this long after it is finalized."""

DEFAULT_CURRENCY = "USD"
"""The currency of an account whose snapshot has not arrived yet."""


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_DUE = "payment_due"
    NOT_PAID = "not_paid"
    PAID = "paid"
    VOID = "void"


SETTLED = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID})

TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.PAYMENT_PENDING, InvoiceStatus.VOID}),
    InvoiceStatus.PAYMENT_PENDING: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.PAYMENT_DUE, InvoiceStatus.NOT_PAID, InvoiceStatus.VOID}
    ),
    InvoiceStatus.PAYMENT_DUE: frozenset({InvoiceStatus.PAID, InvoiceStatus.NOT_PAID, InvoiceStatus.VOID}),
    InvoiceStatus.NOT_PAID: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


def next_status(current: InvoiceStatus, wanted: InvoiceStatus) -> InvoiceStatus | None:
    """The status to move to, or None when nothing changes (settled already, or already there).

    Raises `InvalidInvoiceTransition` for a move the lifecycle does not have.
    """
    if current in SETTLED or current == wanted:
        return None
    if wanted not in TRANSITIONS[current]:
        raise InvalidInvoiceTransition(current, wanted)
    return wanted


def status_after_successful_charge(current: InvoiceStatus) -> InvoiceStatus | None:
    return next_status(current, InvoiceStatus.PAID)


def status_after_failed_charge(current: InvoiceStatus, final: bool = False) -> InvoiceStatus | None:
    """payment_due after a failure payments will retry; not_paid after the final one. Nothing
    changes for a settled invoice, nor for a retryable failure of one already due or not paid."""
    if final:
        return next_status(current, InvoiceStatus.NOT_PAID)
    if current is InvoiceStatus.NOT_PAID:
        return None
    return next_status(current, InvoiceStatus.PAYMENT_DUE)


def status_after_void(invoice_id: str, current: InvoiceStatus) -> InvoiceStatus | None:
    """void from any unpaid status; None if void already; `InvoiceAlreadyPaid` for a paid one."""
    if current is InvoiceStatus.PAID:
        raise InvoiceAlreadyPaid(invoice_id)
    return next_status(current, InvoiceStatus.VOID)


class InvoiceCategory(StrEnum):
    """How the dashboard groups invoices."""

    ACTION_REQUIRED = "action_required"
    UPCOMING = "upcoming"
    HISTORY = "history"


CATEGORIES: dict[InvoiceCategory, frozenset[InvoiceStatus]] = {
    InvoiceCategory.ACTION_REQUIRED: frozenset({InvoiceStatus.PAYMENT_DUE, InvoiceStatus.NOT_PAID}),
    InvoiceCategory.UPCOMING: frozenset({InvoiceStatus.DRAFT, InvoiceStatus.PAYMENT_PENDING}),
    InvoiceCategory.HISTORY: frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID}),
}


def statuses_wanted(category: InvoiceCategory | None, status: InvoiceStatus | None) -> frozenset[InvoiceStatus] | None:
    """The statuses a list filtered by category and/or status shows; None for all."""
    wanted = CATEGORIES[category] if category else None
    if status is not None:
        wanted = (wanted or frozenset(InvoiceStatus)) & {status}
    return wanted


@dataclass(frozen=True)
class InvoiceLine:
    project_id: str
    meter: str
    usage_period: BillingPeriod
    """The period the usage happened in: the invoice's own, or an earlier one for late usage."""
    quantity: Decimal
    unit_price: Decimal | None
    """The price of one unit for a per-unit price; None for tiers and packages (see `price_terms`)."""
    price_model: str
    price_terms: str
    amount: int
    """The rated quantity in minor units, rounded half-even once."""
    events: int = 0
    """How many usage events this line bills (for reconciliation)."""


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    billing_account_id: str
    period: BillingPeriod
    currency: str
    amount_due: int
    status: InvoiceStatus
    finalized_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None = None
    lines: tuple[InvoiceLine, ...] = ()
    project_id: str | None = None
    """The project invoiced, when the account is invoiced per project."""
    billed_to: BilledTo | None = None
    """The account's billing details when the invoice was finalized; None until the account's
    snapshot has reached invoicing."""


@dataclass(frozen=True)
class PricedInvoice:
    """An invoice's content, priced, before it is numbered and finalized (or shown as a draft)."""

    billing_account_id: str
    currency: str
    project_id: str | None
    lines: tuple[InvoiceLine, ...]
    billed_to: BilledTo | None


def split_by_project(lines: list[InvoiceLine], per_project: bool) -> dict[str | None, list[InvoiceLine]]:
    """The lines of each invoice: all on one (project None), or grouped by project.

    An account whose only usage was late but billed nothing more (a max that did not grow)
    still gets its invoice for the period, of zero, so the period is closed for it."""
    if not per_project:
        return {None: lines}
    by_project: dict[str | None, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_project[line.project_id].append(line)
    return dict(by_project) or {None: []}


def finalize_invoice(
    *, invoice_id: str, number: str, billing_account_id: str, period: BillingPeriod, currency: str,
    lines: Iterable[InvoiceLine], finalized_at: datetime, project_id: str | None = None,
    billed_to: BilledTo | None = None,
) -> Invoice:
    """A finalized invoice: its total is fixed as the sum of its lines, and payment is now expected."""
    lines = tuple(lines)
    return Invoice(
        id=invoice_id,
        number=number,
        billing_account_id=billing_account_id,
        period=period,
        currency=currency,
        amount_due=invoice_total(line.amount for line in lines),
        status=InvoiceStatus.PAYMENT_PENDING,
        finalized_at=finalized_at,
        due_at=finalized_at + PAYMENT_TERMS,
        lines=lines,
        project_id=project_id,
        billed_to=billed_to,
    )


def invoice_number(period: BillingPeriod, sequence: int) -> str:
    """The number printed on the invoice: `INV-2026-11-000042` (period, then a database sequence)."""
    return f"INV-{period.start.year:04d}-{period.start.month:02d}-{sequence:06d}"


def new_invoice_id() -> str:
    return f"inv_{uuid.uuid4().hex}"
