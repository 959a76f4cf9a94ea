"""Every kind of email: which event becomes which, the reason in plain words, the links, and
which preferences may be turned off."""

from datetime import UTC, datetime

import pytest
from billing_contracts import (
    ChargeFailedV1, ChargeFailureKind, InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1, InvoiceVoidedV1,
)

from notifications.domain.contacts import Contact, Member
from notifications.domain.emails import compose, describe, kind_for
from notifications.domain.errors import MandatoryEmailCannotBeTurnedOff, UnknownPreference
from notifications.domain.failure_reasons import plain_reason
from notifications.domain.mail import EmailKind
from notifications.domain.preferences import NotificationPreferences

DASHBOARD = "https://dashboard.example/"
INVOICE_URL = "https://dashboard.example/billing-accounts/ba_42/invoices/inv_8Fq2"
ACCOUNT = Contact("ba_42", "Acme & Sons", ("billing@acme.example",), (Member("viewer@acme.example", "viewer"),), 1)


def charge(**changes) -> ChargeFailedV1:
    fields = dict(
        billing_account_id="ba_42", invoice_id="inv_8Fq2", invoice_number="INV-7", attempt=1, amount=4200,
        currency="EUR", failure_kind="declined", customer_message="Your card was declined.",
        next_retry_at=datetime(2026, 12, 4, 6, 30, tzinfo=UTC), final=False, failed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return ChargeFailedV1(**{**fields, **changes})


INVOICE = dict(billing_account_id="ba_42", invoice_id="inv_8Fq2", invoice_number="INV-7", amount=4200, currency="EUR")


@pytest.mark.parametrize(("kind", "decline_code", "reason"), [
    ("declined", None, "Your card was declined."),
    ("declined", "expired_card", "Your card has expired."),
    ("declined", "EXPIRED_CARD", "Your card has expired."),
    ("declined", "do_not_honor", "Your card was declined."),
    ("insufficient_funds", "insufficient_funds", "Your card has insufficient funds."),
    ("authentication_required", "expired_card", "Your bank needs you to confirm the payment (authentication needed)."),
    ("no_payment_method", None, "There is no card on file for your billing account."),
    ("processing_error", None, "Our payment provider had a temporary problem."),
])
def test_the_reason_is_said_in_plain_words(kind, decline_code, reason):
    assert plain_reason(ChargeFailureKind(kind), decline_code) == reason
    (email,) = compose(charge(failure_kind=kind, decline_code=decline_code), ACCOUNT, DASHBOARD)
    assert f"Reason: {reason}" in email.body_text or kind == "authentication_required"


def test_the_next_attempt_is_dated_in_utc_or_said_to_be_none():
    (retrying,) = compose(charge(), ACCOUNT, DASHBOARD)
    assert "We will try to charge your card again on 2026-12-04 06:30 UTC." in retrying.body_text
    (last,) = compose(charge(final=True, next_retry_at=None), ACCOUNT, DASHBOARD)
    assert "We will not try again automatically" in last.body_text and "again on" not in last.body_text


def test_authentication_required_links_to_completing_it():
    event = charge(failure_kind="authentication_required", customer_message="Confirm with your bank.")
    assert kind_for(event) is EmailKind.AUTHENTICATION_REQUIRED
    assert kind_for(charge(decline_code="authentication_required")) is EmailKind.AUTHENTICATION_REQUIRED
    (email,) = compose(event, ACCOUNT, DASHBOARD)
    assert email.subject == "Action required: confirm the payment for invoice INV-7"
    assert f"{INVOICE_URL}/authenticate" in email.body_text
    assert f'href="{INVOICE_URL}/authenticate"' in email.body_html
    assert "€42.00" in email.body_text and "€42.00" in email.body_html


def test_a_final_failed_charge_is_still_action_required_and_the_final_notice_comes_from_invoice_not_paid():
    assert kind_for(charge(final=True, next_retry_at=None)) is EmailKind.ACTION_REQUIRED
    event = InvoiceNotPaidV1(**INVOICE, not_paid_at=datetime(2026, 12, 15, tzinfo=UTC))
    assert kind_for(event) is EmailKind.FINAL_NOTICE
    (email,) = compose(event, ACCOUNT, DASHBOARD)
    assert email.subject == "Final notice: invoice INV-7 for €42.00 is unpaid"
    assert "no further automatic attempt" in email.body_text and INVOICE_URL in email.body_text
    assert f'href="{INVOICE_URL}"' in email.body_html


def test_a_receipt_names_the_amount_paid_and_when():
    event = InvoicePaidV1(**{**INVOICE, "currency": "JPY"}, paid_at=datetime(2026, 12, 1, 0, 6, tzinfo=UTC))
    (email,) = compose(event, ACCOUNT, DASHBOARD)
    assert kind_for(event) is EmailKind.RECEIPT
    assert email.subject == "Receipt: ¥4200 paid for invoice INV-7"
    assert "2026-12-01 00:06 UTC" in email.body_text and INVOICE_URL in email.body_text


def test_invoice_available_names_the_period_amount_and_due_date():
    event = InvoiceFinalizedV1(
        billing_account_id="ba_42", invoice_id="inv_8Fq2", invoice_number="INV-7", currency="USD", amount_due=123456,
        period_start=datetime(2026, 11, 1, tzinfo=UTC), period_end=datetime(2026, 12, 1, tzinfo=UTC),
        due_at=datetime(2026, 12, 15, tzinfo=UTC), finalized_at=datetime(2026, 12, 1, 0, 5, tzinfo=UTC),
    )
    (email,) = compose(event, ACCOUNT, DASHBOARD)
    assert email.subject == "Invoice INV-7 is available: $1234.56 due 2026-12-15"
    assert "2026-11-01 to 2026-11-30" in email.body_text, "the period's end is exclusive"
    assert "Acme &amp; Sons" in email.body_html and "Acme & Sons" in email.body_text


def test_viewers_get_none_of_them_and_an_account_of_viewers_gets_nothing():
    viewers_only = Contact("ba_42", "Acme", (), (Member("viewer@acme.example", "viewer"),), 1)
    assert compose(charge(), viewers_only, DASHBOARD) == []
    assert [e.recipient for e in compose(charge(), ACCOUNT, DASHBOARD)] == ["billing@acme.example"]


def test_an_event_notifications_does_not_mail_about_is_refused():
    with pytest.raises(TypeError):
        kind_for(InvoiceVoidedV1(**INVOICE, voided_at=datetime(2026, 12, 1, tzinfo=UTC), reason="Issued in error."))
    assert describe(charge()) == "action required for invoice INV-7"


def test_only_receipts_and_invoice_available_can_be_turned_off():
    off = NotificationPreferences(receipts=True, invoice_available=True).changed({"receipts": False})
    assert off == NotificationPreferences(receipts=False, invoice_available=True)
    assert not off.allows(EmailKind.RECEIPT) and off.allows(EmailKind.INVOICE_AVAILABLE)
    nothing = NotificationPreferences(receipts=False, invoice_available=False)
    for kind in (EmailKind.ACTION_REQUIRED, EmailKind.AUTHENTICATION_REQUIRED, EmailKind.FINAL_NOTICE):
        assert nothing.allows(kind)
    with pytest.raises(MandatoryEmailCannotBeTurnedOff):
        nothing.changed({"receipts": True, "action_required": False})
    with pytest.raises(UnknownPreference):
        nothing.changed({"newsletter": False})
    with pytest.raises(UnknownPreference):
        nothing.changed({"receipts": "yes"})
