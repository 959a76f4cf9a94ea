"""Invoices: lines priced from usage, the total, the number, and the status lifecycle.

draft → payment_pending → paid, or payment_due (a charge failed) → not_paid → paid; void from
any unpaid state. paid and void are settled: nothing moves them again, whatever order events
arrive in, so a late or repeated event about a settled invoice is ignored rather than refused.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from invoicing.domain.errors import InvalidInvoiceTransition
from invoicing.domain.money import invoice_total, line_amount
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.price_book import PriceBook

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
    InvoiceStatus.PAYMENT_PENDING: frozenset({InvoiceStatus.PAID, InvoiceStatus.PAYMENT_DUE, InvoiceStatus.VOID}),
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


def status_after_failed_charge(current: InvoiceStatus) -> InvoiceStatus | None:
    """payment_due, unless the invoice is settled or already awaits the customer (due or not paid)."""
    if current is InvoiceStatus.NOT_PAID:
        return None
    return next_status(current, InvoiceStatus.PAYMENT_DUE)


@dataclass(frozen=True)
class UsageTotal:
    """An account's usage of one meter by one project over a period."""

    project_id: str
    meter: str
    quantity: Decimal


@dataclass(frozen=True)
class InvoiceLine:
    project_id: str
    meter: str
    quantity: Decimal
    unit_price: Decimal
    amount: int
    """quantity × unit_price, rounded half-even to the currency's minor unit."""


def price_lines(usage: Iterable[UsageTotal], price_book: PriceBook, currency: str) -> list[InvoiceLine]:
    """One line per project and meter, in a stable order; `UnknownMeter` or `PriceMissing` if unpriced."""
    lines = []
    for total in sorted(usage, key=lambda u: (u.project_id, u.meter)):
        unit_price = price_book.unit_price(total.meter, currency)
        amount = line_amount(total.quantity, unit_price, currency)
        lines.append(InvoiceLine(total.project_id, total.meter, total.quantity, unit_price, amount))
    return lines


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


def finalize_invoice(
    *, invoice_id: str, number: str, billing_account_id: str, period: BillingPeriod, currency: str,
    lines: Iterable[InvoiceLine], finalized_at: datetime,
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
    )


def invoice_number(period: BillingPeriod, sequence: int) -> str:
    """The number printed on the invoice: `INV-2026-11-000042` (period, then a database sequence)."""
    return f"INV-{period.start.year:04d}-{period.start.month:02d}-{sequence:06d}"


def new_invoice_id() -> str:
    return f"inv_{uuid.uuid4().hex}"
