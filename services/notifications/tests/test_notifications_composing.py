"""The "action required" email: amounts per currency, who receives it, what it says."""

from datetime import UTC, datetime

import pytest
from billing_contracts import ChargeFailedV1, ChargeFailureKind

from notifications.domain.emails.action_required import compose_action_required
from notifications.domain.contacts import Contact, Member, is_deliverable_address
from notifications.domain.money import format_amount

DASHBOARD = "https://dashboard.example/"


def charge(**changes) -> ChargeFailedV1:
    fields = dict(
        billing_account_id="ba_42", invoice_id="inv_8Fq2", invoice_number="INV-2026-11-000042", attempt=1,
        amount=1234, currency="USD", failure_kind=ChargeFailureKind.INSUFFICIENT_FUNDS,
        customer_message="Your card has insufficient funds.", next_retry_at=datetime(2026, 12, 4, tzinfo=UTC),
        final=False, failed_at=datetime(2026, 12, 1, 0, 6, tzinfo=UTC),
    )
    return ChargeFailedV1(**{**fields, **changes})


def contact(billing_emails=("billing@acme.example",), members=()) -> Contact:
    return Contact("ba_42", "Acme GmbH", tuple(billing_emails), tuple(Member(e, r) for e, r in members), version=1)


@pytest.mark.parametrize(("minor", "currency", "shown"), [
    (1234, "USD", "$12.34"),
    (1234, "EUR", "€12.34"),
    (1234, "JPY", "¥1234"),
    (1234, "KWD", "KWD 1.234"),
    (1234, "CLF", "CLF 0.1234"),
    (1234, "CHF", "CHF 12.34"),
    (5, "USD", "$0.05"),
    (0, "EUR", "€0.00"),
    (123456789, "USD", "$1234567.89"),
    (1234, "usd", "$12.34"),
])
def test_amounts_are_shown_with_their_currencys_minor_unit(minor, currency, shown):
    assert format_amount(minor, currency) == shown


def test_billing_emails_receive_it_and_members_do_not():
    account = contact(["billing@acme.example", "finance@acme.example"], [("owner@acme.example", "owner")])
    assert account.recipients() == ("billing@acme.example", "finance@acme.example")


def test_without_billing_emails_owners_and_admins_receive_it_never_viewers():
    members = [("owner@acme.example", "owner"), ("admin@acme.example", "admin"), ("viewer@acme.example", "viewer")]
    assert contact([], members).recipients() == ("owner@acme.example", "admin@acme.example")


def test_nobody_receives_it_when_only_viewers_are_left():
    assert contact([], [("viewer@acme.example", "viewer")]).recipients() == ()
    assert compose_action_required(charge(), contact([], [("viewer@acme.example", "viewer")]), DASHBOARD) == []


@pytest.mark.parametrize("address", [
    "not-an-email", "ada@localhost", "a b@acme.example", "ada@acme.example\r\nBcc: evil@evil.example",
    "Ada <ada@acme.example>", "ada@@acme.example", "ada@-acme.example", ".ada@acme.example", "ada@acme..example", "",
])
def test_invalid_addresses_are_never_recipients(address):
    assert not is_deliverable_address(address)
    assert contact([address, "billing@acme.example"]).recipients() == ("billing@acme.example",)


def test_when_no_billing_email_is_valid_the_owners_receive_it():
    account = contact(["not-an-email"], [("owner@acme.example", "owner"), ("bad owner@x.example", "owner")])
    assert account.recipients() == ("owner@acme.example",)


def test_an_address_given_twice_receives_it_once():
    assert contact(["Billing@Acme.example", "billing@acme.example"]).recipients() == ("billing@acme.example",)


def test_the_email_names_the_invoice_the_amount_the_reason_what_to_do_and_the_link():
    (email,) = compose_action_required(charge(), contact(), DASHBOARD)
    link = "https://dashboard.example/billing-accounts/ba_42/invoices/inv_8Fq2"
    assert email.recipient == "billing@acme.example"
    assert email.subject == "Action required: payment for invoice INV-2026-11-000042 failed"
    for body in (email.body_text, email.body_html):
        assert "INV-2026-11-000042" in body
        assert "$12.34" in body
        assert "Reason: Your card has insufficient funds." in body
        assert "update your card" in body.lower() and "pay the invoice by hand" in body
        assert link in body
        assert "2026-12-04 00:00 UTC" in body
    assert f'href="{link}"' in email.body_html


def test_a_final_failure_says_there_is_no_further_attempt():
    (email,) = compose_action_required(charge(final=True, next_retry_at=None, currency="JPY"), contact(), DASHBOARD)
    assert "will not try again automatically" in email.body_text
    assert "¥1234" in email.body_text


def test_customer_text_is_escaped_in_html_and_the_subject_stays_one_line():
    event = charge(invoice_number="INV-1\r\nBcc: evil@evil.example")
    account = Contact("ba_42", "<script>alert(1)</script> & Co", ("billing@acme.example",), (), version=1)
    (email,) = compose_action_required(event, account, DASHBOARD)
    assert "<script>" not in email.body_html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in email.body_html
    assert "<script>alert(1)</script> & Co" in email.body_text
    assert "\r" not in email.subject and "\n" not in email.subject


def test_ids_in_the_link_are_url_encoded():
    event = charge(billing_account_id="ba 1/x", invoice_id="inv?1")
    (email,) = compose_action_required(event, contact(), DASHBOARD)
    assert "https://dashboard.example/billing-accounts/ba%201%2Fx/invoices/inv%3F1" in email.body_text
