"""The service as it runs: events over the real Kafka broker, the mail sender in the app's
lifespan, the real SMTP server, and the email log over HTTP with development tokens."""

import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from billing_contracts import BillingAccountChangedV1, ChargeFailedV1, InvoiceFinalizedV1, InvoicePaidV1, new_envelope
from billing_runtime.auth import development_token
from devstack.kafka import start_group_at_end
from fastapi.testclient import TestClient

from notifications.entrypoints.http import create_app
from notifications.settings import NotificationsSettings

TOPICS = ("billing_account.changed", "charge.failed", "invoice.finalized", "invoice.paid", "invoice.not_paid")


async def publish(bootstrap: str, *envelopes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(envelope.type, envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()


def until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
    return result


def test_the_email_log_shows_a_sent_action_required_email_to_members_only(stack, mailbox, notifications_database):
    run = uuid.uuid4().hex[:10]
    owner, viewer, stranger, billing = (f"{who}-{run}@example.com" for who in ("owner", "viewer", "stranger", "billing"))
    account_id = f"ba_{run}"
    settings = NotificationsSettings(
        service_name=f"notifications-test-{run}", database_url=notifications_database,
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers, smtp_host=stack.smtp_host, smtp_port=stack.smtp_port,
        dashboard_base_url="https://dashboard.example",
    )
    snapshot = new_envelope(BillingAccountChangedV1(
        billing_account_id=account_id, name="Globex Labs", status="active", currency="EUR", billing_emails=[billing],
        members=[{"user_id": "u1", "email": owner, "role": "owner"}, {"user_id": "u2", "email": viewer, "role": "viewer"}],
        version=1, changed_at=datetime.now(UTC)), source="/billing/accounts")
    failed = new_envelope(ChargeFailedV1(
        billing_account_id=account_id, invoice_id=f"inv_{run}", invoice_number=f"INV-2026-11-{run}", attempt=1,
        amount=4200, currency="EUR", failure_kind="declined", customer_message="Your card was declined.",
        final=False, failed_at=datetime.now(UTC)), source="/billing/payments")
    asyncio.run(start_group_at_end(stack.kafka_bootstrap_servers, settings.service_name, TOPICS))

    def log_as(client, email):
        url = f"/v1/billing-accounts/{account_id}/notifications"
        return client.get(url, headers={"Authorization": f"Bearer {development_token(email, settings)}"})

    with TestClient(create_app(settings)) as client:
        assert log_as(client, owner).status_code == 404, "no snapshot yet: nobody is a member"
        asyncio.run(publish(stack.kafka_bootstrap_servers, failed, snapshot, failed, failed))

        def sent():
            answer = log_as(client, viewer)
            entries = answer.json()["notifications"] if answer.status_code == 200 else []
            return entries if entries and entries[0]["status"] == "sent" else None

        (entry,) = until(sent)
        assert entry["kind"] == "action_required" and entry["recipient"] == billing
        assert entry["subject"] == f"Action required: payment for invoice INV-2026-11-{run} failed"
        assert entry["sent_at"] is not None and entry["created_at"] <= entry["sent_at"]
        assert log_as(client, owner).json()["notifications"] == [entry]
        assert log_as(client, stranger).status_code == 404
        assert client.get(f"/v1/billing-accounts/{account_id}/notifications").status_code == 401

    (message,) = mailbox.sent_to(billing)
    text = message.get_body(("plain",)).get_content()
    assert f"INV-2026-11-{run}" in text and "€42.00" in text
    assert f"https://dashboard.example/billing-accounts/{account_id}/invoices/inv_{run}" in text
    assert mailbox.sent_to(owner) == [] and mailbox.sent_to(viewer) == []


def test_admins_turn_receipts_on_and_action_required_mail_cannot_be_turned_off(stack, mailbox, notifications_database):
    run = uuid.uuid4().hex[:10]
    owner, admin, viewer, billing = (f"{who}-{run}@example.com" for who in ("owner", "admin", "viewer", "billing"))
    account_id = f"ba_{run}"
    settings = NotificationsSettings(
        service_name=f"notifications-test-{run}", database_url=notifications_database,
        kafka_bootstrap_servers=stack.kafka_bootstrap_servers, smtp_host=stack.smtp_host, smtp_port=stack.smtp_port,
        dashboard_base_url="https://dashboard.example",
        # Operators may ship with both off; the account's own choice is what this test follows.
        receipts_by_default=False, invoice_available_by_default=False,
    )
    snapshot = new_envelope(BillingAccountChangedV1(
        billing_account_id=account_id, name="Pied Piper", status="active", currency="USD", billing_emails=[billing],
        members=[{"user_id": "u1", "email": owner, "role": "owner"}, {"user_id": "u2", "email": admin, "role": "admin"},
                 {"user_id": "u3", "email": viewer, "role": "viewer"}],
        version=1, changed_at=datetime.now(UTC)), source="/billing/accounts")
    paid = new_envelope(InvoicePaidV1(
        billing_account_id=account_id, invoice_id=f"inv_{run}", invoice_number=f"INV-P-{run}", amount=1999,
        currency="USD", paid_at=datetime.now(UTC)), source="/billing/invoicing")
    finalized = new_envelope(InvoiceFinalizedV1(
        billing_account_id=account_id, invoice_id=f"inv_f{run}", invoice_number=f"INV-F-{run}", currency="USD",
        amount_due=1999, period_start=datetime(2026, 10, 1, tzinfo=UTC), period_end=datetime(2026, 11, 1, tzinfo=UTC),
        due_at=datetime(2026, 11, 15, tzinfo=UTC), finalized_at=datetime.now(UTC)), source="/billing/invoicing")
    asyncio.run(start_group_at_end(stack.kafka_bootstrap_servers, settings.service_name, TOPICS))
    url = f"/v1/billing-accounts/{account_id}/notification-preferences"

    def as_(email):
        return {"Authorization": f"Bearer {development_token(email, settings)}"}

    with TestClient(create_app(settings)) as client:
        asyncio.run(publish(stack.kafka_bootstrap_servers, snapshot))
        until(lambda: client.get(url, headers=as_(viewer)).status_code == 200)
        assert client.get(url, headers=as_(viewer)).json() == {"receipts": False, "invoice_available": False}
        assert client.put(url, json={"receipts": True}, headers=as_(viewer)).status_code == 403
        assert client.put(url, json={"receipts": True}, headers=as_(f"stranger-{run}@example.com")).status_code == 404
        refused = client.put(url, json={"receipts": True, "action_required": False}, headers=as_(admin))
        assert refused.status_code == 422 and "cannot be turned off" in refused.json()["detail"]
        assert client.put(url, json={"newsletter": True}, headers=as_(owner)).status_code == 422
        assert client.get(url, headers=as_(viewer)).json() == {"receipts": False, "invoice_available": False}

        answer = client.put(url, json={"receipts": True}, headers=as_(admin))
        assert answer.status_code == 200 and answer.json() == {"receipts": True, "invoice_available": False}
        asyncio.run(publish(stack.kafka_bootstrap_servers, finalized, paid))
        receipt = mailbox.wait_for(lambda m: m["Subject"] == f"Receipt: $19.99 paid for invoice INV-P-{run}", timeout=60)
        log = client.get(f"/v1/billing-accounts/{account_id}/notifications", headers=as_(viewer)).json()
        assert [entry["kind"] for entry in log["notifications"]] == ["receipt"]

    assert receipt["To"] == billing
    assert f"https://dashboard.example/billing-accounts/{account_id}/invoices/inv_{run}" in receipt.get_body(("plain",)).get_content()
    assert [m["Subject"] for m in mailbox.sent_to(billing)] == [receipt["Subject"]], "invoice available stayed off"
