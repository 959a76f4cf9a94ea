"""The invoice lifecycle and finalizing: statuses, due date, numbers."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import itertools

from invoicing.domain.errors import InvalidInvoiceTransition, InvoiceAlreadyPaid
from invoicing.domain.invoices import (
    InvoiceLine,
    InvoiceStatus,
    finalize_invoice,
    invoice_number,
    next_status,
    status_after_failed_charge,
    status_after_successful_charge,
    status_after_void,
    statuses_wanted,
    InvoiceCategory,
)
from invoicing.domain.periods import BillingPeriod

S = InvoiceStatus


@pytest.mark.parametrize(
    ("current", "wanted"),
    [(S.DRAFT, S.PAYMENT_PENDING), (S.PAYMENT_PENDING, S.PAID), (S.PAYMENT_PENDING, S.PAYMENT_DUE),
     (S.PAYMENT_DUE, S.PAID), (S.PAYMENT_DUE, S.NOT_PAID), (S.NOT_PAID, S.PAID), (S.PAYMENT_DUE, S.VOID)],
)
def test_the_lifecycle_moves_forward(current, wanted):
    assert next_status(current, wanted) is wanted


@pytest.mark.parametrize("settled", [S.PAID, S.VOID])
@pytest.mark.parametrize("wanted", list(S))
def test_paid_and_void_never_change_and_late_events_are_ignored_not_refused(settled, wanted):
    assert next_status(settled, wanted) is None


def test_a_repeated_status_changes_nothing():
    assert next_status(S.PAYMENT_DUE, S.PAYMENT_DUE) is None


@pytest.mark.parametrize(("current", "wanted"), [(S.DRAFT, S.PAID), (S.PAYMENT_DUE, S.PAYMENT_PENDING), (S.NOT_PAID, S.DRAFT)])
def test_moves_the_lifecycle_lacks_are_refused(current, wanted):
    with pytest.raises(InvalidInvoiceTransition):
        next_status(current, wanted)


def test_charges_move_invoices_as_the_story_says():
    assert status_after_successful_charge(S.PAYMENT_PENDING) is S.PAID
    assert status_after_successful_charge(S.PAYMENT_DUE) is S.PAID
    assert status_after_failed_charge(S.PAYMENT_PENDING) is S.PAYMENT_DUE
    assert status_after_failed_charge(S.PAYMENT_DUE) is None  # a retry failed again
    assert status_after_failed_charge(S.NOT_PAID) is None
    assert status_after_failed_charge(S.PAID) is None  # a late failure after a success


def test_a_finalized_invoice_totals_its_lines_and_is_due_in_fourteen_days():
    finalized_at = datetime(2026, 12, 2, 0, 5, tzinfo=UTC)
    nov = BillingPeriod.parse("2026-11")
    lines = [InvoiceLine("prj_1", "compute.vcpu_hours", nov, Decimal("12.5"), Decimal("0.0412"), "per_unit", "", 52),
             InvoiceLine("prj_1", "network.egress_gb", nov, Decimal("0.5"), Decimal("0.09"), "per_unit", "", 4)]
    invoice = finalize_invoice(invoice_id="inv_1", number="INV-2026-11-000001", billing_account_id="ba_1",
                               period=BillingPeriod.parse("2026-11"), currency="USD", lines=lines, finalized_at=finalized_at)
    assert invoice.amount_due == 56
    assert invoice.status is S.PAYMENT_PENDING
    assert invoice.due_at == finalized_at + timedelta(days=14)
    assert invoice.paid_at is None


def test_invoice_numbers_name_the_period_and_a_zero_padded_sequence():
    assert invoice_number(BillingPeriod.parse("2026-11"), 42) == "INV-2026-11-000042"
    assert invoice_number(BillingPeriod.parse("2027-01"), 1234567) == "INV-2027-01-1234567"


def apply(status: S, happening: str) -> S:
    """One event or command on an invoice, as the use cases apply it (a refused void changes nothing)."""
    try:
        moved = {
            "succeeded": lambda: status_after_successful_charge(status),
            "failed": lambda: status_after_failed_charge(status),
            "final_failure": lambda: status_after_failed_charge(status, final=True),
            "void": lambda: status_after_void("inv_1", status),
        }[happening]()
    except InvoiceAlreadyPaid:
        return status
    return moved or status


@pytest.mark.parametrize("order", list(itertools.permutations(["succeeded", "failed", "final_failure", "void"])))
def test_paid_and_void_never_move_back_whatever_order_events_arrive_in(order):
    status, seen = S.PAYMENT_PENDING, []
    for happening in order:
        status = apply(status, happening)
        seen.append(status)
    settled_at = next((i for i, s in enumerate(seen) if s in (S.PAID, S.VOID)), None)
    assert settled_at is not None  # succeeded or void always comes, and one of them settles it
    assert len(set(seen[settled_at:])) == 1  # once settled, never changed again
    assert status is (S.PAID if order.index("succeeded") < order.index("void") else S.VOID)


def test_a_final_failure_means_not_paid_and_a_paid_invoice_cannot_be_voided():
    assert status_after_failed_charge(S.PAYMENT_PENDING, final=True) is S.NOT_PAID
    assert status_after_failed_charge(S.PAYMENT_DUE, final=True) is S.NOT_PAID
    assert status_after_failed_charge(S.NOT_PAID, final=True) is None
    assert status_after_failed_charge(S.PAID, final=True) is None
    assert status_after_void("inv_1", S.NOT_PAID) is S.VOID
    assert status_after_void("inv_1", S.VOID) is None
    with pytest.raises(InvoiceAlreadyPaid):
        status_after_void("inv_1", S.PAID)


def test_categories_group_statuses_and_combine_with_a_status_filter():
    assert statuses_wanted(InvoiceCategory.ACTION_REQUIRED, None) == {S.PAYMENT_DUE, S.NOT_PAID}
    assert statuses_wanted(InvoiceCategory.UPCOMING, None) == {S.DRAFT, S.PAYMENT_PENDING}
    assert statuses_wanted(InvoiceCategory.HISTORY, None) == {S.PAID, S.VOID}
    assert statuses_wanted(InvoiceCategory.HISTORY, S.PAID) == {S.PAID}
    assert statuses_wanted(InvoiceCategory.HISTORY, S.NOT_PAID) == set()
    assert statuses_wanted(None, S.NOT_PAID) == {S.NOT_PAID}
    assert statuses_wanted(None, None) is None
