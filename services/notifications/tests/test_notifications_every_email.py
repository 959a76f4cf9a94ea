"""Every kind of email, from its event to the real SMTP server's mailbox: subject, recipients,
amounts and links, read back and parsed, text and HTML; and the preferences that silence some."""

import uuid
from datetime import UTC, datetime, timedelta

from billing_contracts import (
    BillingAccountChangedV1, ChargeFailedV1, InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1, new_envelope,
)
from billing_runtime.clock import SystemClock
from sqlalchemy import select

from notifications.adapters.smtp_mailer import SmtpMailer
from notifications.adapters.tables import EMAILS
from notifications.domain.preferences import NotificationPreferences
from notifications.use_cases.send_due_emails import send_due_emails
from notifications.use_cases.set_notification_preferences import set_notification_preferences

DASHBOARD = "https://dashboard.example"
OFF = NotificationPreferences(receipts=False, invoice_available=False)


def account(run: str, billing_emails: list[str], members: list[tuple[str, str]]):
    return new_envelope(BillingAccountChangedV1(
        billing_account_id=f"ba_{run}", name="Initech & Co", status="active", currency="EUR",
        billing_emails=billing_emails, version=1, changed_at=datetime.now(UTC),
        members=[{"user_id": f"u{i}", "email": email, "role": role} for i, (email, role) in enumerate(members)],
    ), source="/billing/accounts")


def events(account_id: str, run: str) -> dict[str, object]:
    """One event of each kind, each about its own invoice."""
    invoice = {"billing_account_id": account_id, "amount": 4200, "currency": "EUR"}
    later = datetime(2026, 12, 4, 6, 30, tzinfo=UTC)
    failed = dict(invoice, attempt=1, customer_message="Your card was declined.", failed_at=datetime.now(UTC))
    return {
        "action_required": ChargeFailedV1(**failed, invoice_id=f"inv_a{run}", invoice_number=f"INV-A-{run}",
                                          failure_kind="declined", decline_code="expired_card",
                                          next_retry_at=later, final=False),
        "authentication_required": ChargeFailedV1(**failed, invoice_id=f"inv_b{run}", invoice_number=f"INV-B-{run}",
                                                  failure_kind="authentication_required", final=False),
        "final_notice": InvoiceNotPaidV1(**invoice, invoice_id=f"inv_c{run}", invoice_number=f"INV-C-{run}",
                                         not_paid_at=datetime.now(UTC)),
        "receipt": InvoicePaidV1(**invoice, invoice_id=f"inv_d{run}", invoice_number=f"INV-D-{run}",
                                 paid_at=datetime.now(UTC)),
        "invoice_available": InvoiceFinalizedV1(
            billing_account_id=account_id, invoice_id=f"inv_e{run}", invoice_number=f"INV-E-{run}", currency="EUR",
            amount_due=4200, period_start=datetime(2026, 11, 1, tzinfo=UTC), period_end=datetime(2026, 12, 1, tzinfo=UTC),
            due_at=datetime(2026, 12, 15, tzinfo=UTC), finalized_at=datetime.now(UTC)),
    }


SUBJECTS = {
    "action_required": "Action required: payment for invoice INV-A-{run} failed",
    "authentication_required": "Action required: confirm the payment for invoice INV-B-{run}",
    "final_notice": "Final notice: invoice INV-C-{run} for €42.00 is unpaid",
    "receipt": "Receipt: €42.00 paid for invoice INV-D-{run}",
    "invoice_available": "Invoice INV-E-{run} is available: €42.00 due 2026-12-15",
}


def smtp(stack) -> SmtpMailer:
    return SmtpMailer(stack.smtp_host, stack.smtp_port, "Billing <billing@billing.local>", timeout=10)


def bodies(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


async def test_every_kind_of_email_arrives_with_its_subject_amount_and_links(engine, stack, mailbox, deliver_event):
    run = uuid.uuid4().hex[:10]
    billing = f"billing-{run}@example.com"
    snapshot = account(run, [billing], [(f"owner-{run}@example.com", "owner"), (f"viewer-{run}@example.com", "viewer")])
    await deliver_event(snapshot)
    await set_notification_preferences(engine, snapshot.subject, {"receipts": True, "invoice_available": True}, OFF,
                                       SystemClock())
    for event in events(snapshot.subject, run).values():
        await deliver_event(new_envelope(event, source="/billing/test"))
    await send_due_emails(engine, smtp(stack), SystemClock())

    received = {message["Subject"]: message for message in mailbox.sent_to(billing)}
    assert sorted(received) == sorted(subject.format(run=run) for subject in SUBJECTS.values())
    assert mailbox.sent_to(f"owner-{run}@example.com") == [] and mailbox.sent_to(f"viewer-{run}@example.com") == []
    invoices = f"{DASHBOARD}/billing-accounts/ba_{run}/invoices"
    links = {
        "action_required": [f"{invoices}/inv_a{run}", f"{DASHBOARD}/billing-accounts/ba_{run}/payment-methods"],
        "authentication_required": [f"{invoices}/inv_b{run}/authenticate"],
        "final_notice": [f"{invoices}/inv_c{run}"],
        "receipt": [f"{invoices}/inv_d{run}"],
        "invoice_available": [f"{invoices}/inv_e{run}"],
    }
    for kind, subject in SUBJECTS.items():
        message = received[subject.format(run=run)]
        assert message["To"] == billing and message["From"] == "Billing <billing@billing.local>"
        text, html = bodies(message)
        assert "€42.00" in text and "€42.00" in html
        assert "Initech & Co" in text and "Initech &amp; Co" in html
        for link in links[kind]:
            assert link in text, (kind, link)
            assert f'href="{link}"' in html, (kind, link)
    text, html = bodies(received[SUBJECTS["action_required"].format(run=run)])
    for body in (text, html):
        assert "Your card has expired." in body and "2026-12-04 06:30 UTC" in body


async def test_a_viewer_gets_no_action_required_mail_owners_and_admins_do(engine, stack, mailbox, deliver_event):
    run = uuid.uuid4().hex[:10]
    owner, admin, viewer = (f"{who}-{run}@example.com" for who in ("owner", "admin", "viewer"))
    snapshot = account(run, [], [(owner, "owner"), (admin, "admin"), (viewer, "viewer")])
    await deliver_event(snapshot)
    await deliver_event(new_envelope(events(snapshot.subject, run)["action_required"], source="/billing/payments"))
    await send_due_emails(engine, smtp(stack), SystemClock())
    for address in (owner, admin):
        (message,) = mailbox.sent_to(address)
        assert message["Subject"] == SUBJECTS["action_required"].format(run=run)
    assert mailbox.sent_to(viewer) == []


async def test_turned_off_receipts_and_invoice_notices_are_not_written_action_required_still_is(engine, deliver_event):
    run = uuid.uuid4().hex[:10]
    snapshot = account(run, [f"billing-{run}@example.com"], [])
    await deliver_event(snapshot)
    await set_notification_preferences(engine, snapshot.subject, {"receipts": False, "invoice_available": False},
                                       NotificationPreferences(receipts=True, invoice_available=True), SystemClock())
    for event in events(snapshot.subject, run).values():
        await deliver_event(new_envelope(event, source="/billing/test"))
    async with engine.connect() as connection:
        kinds = (await connection.execute(select(EMAILS.c.kind).where(EMAILS.c.billing_account_id == snapshot.subject))).scalars()
        assert sorted(kinds) == ["action_required", "authentication_required", "final_notice"]


async def test_addresses_that_are_not_valid_are_never_sent_to(engine, stack, mailbox, deliver_event):
    run = uuid.uuid4().hex[:10]
    broken, owner = f"billing-{run}@localhost", f"owner-{run}@example.com"
    snapshot = account(run, [broken], [(owner, "owner")])
    await deliver_event(snapshot)
    await deliver_event(new_envelope(events(snapshot.subject, run)["final_notice"], source="/billing/invoicing"))
    await send_due_emails(engine, smtp(stack), SystemClock())
    assert mailbox.sent_to(broken) == []
    assert len(mailbox.sent_to(owner)) == 1, "no valid billing email: the owner is told instead"

    nobody = account(f"{run}x", [f"bad-{run}@localhost"], [(f"owner-{run}@-bad.example", "owner")])
    await deliver_event(nobody)
    await deliver_event(new_envelope(events(nobody.subject, run)["action_required"], source="/billing/payments"))
    async with engine.connect() as connection:
        (row,) = (await connection.execute(select(EMAILS).where(EMAILS.c.billing_account_id == nobody.subject))).all()
    assert (row.status, row.recipient, row.last_error) == ("failed", "", "the account has no deliverable email address")
    assert row.sent_at is None and row.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=1)
