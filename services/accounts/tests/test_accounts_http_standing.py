"""Standing and deletion over HTTP, with payments' and invoicing's events fed through the real
Kafka broker to the running app (its consumers keep the replicas standing is read from)."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from billing_contracts import InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1, PaymentMethodsChangedV1, new_envelope

ACCOUNTS = "/v1/billing-accounts"


@pytest.fixture
def client(accounts_client):
    return accounts_client


@pytest.fixture
def account(client, person):
    email, headers = person("owner")
    body = {"name": "Acme GmbH", "currency": "EUR", "billing_email": "billing@acme.example"}
    created = client.post(ACCOUNTS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"], email, headers


def _until(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def _card(account_id: str, version: int = 1):
    primary = {"payment_method_id": "pm_1", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}
    return new_envelope(PaymentMethodsChangedV1(billing_account_id=account_id, has_primary=True, primary=primary,
                                                count=1, version=version, changed_at=datetime.now(UTC)),
                        source="/billing/payments")


def _invoice_event(event, account_id: str, invoice_id: str):
    now = datetime.now(UTC)
    common = {"billing_account_id": account_id, "invoice_id": invoice_id, "invoice_number": f"INV-{invoice_id}",
              "currency": "EUR"}
    if event is InvoiceFinalizedV1:
        data = event(**common, amount_due=4200, period_start=now - timedelta(days=30), period_end=now,
                     due_at=now + timedelta(days=14), finalized_at=now)
    else:
        data = event(**common, amount=4200, **{InvoiceNotPaidV1: {"not_paid_at": now}, InvoicePaidV1: {"paid_at": now}}[event])
    return new_envelope(data, source="/billing/invoicing")


def test_an_account_deploys_within_seconds_of_its_first_card_and_not_while_an_invoice_is_overdue(
    client, account, publish, service_token
):
    account_id, _, owner = account
    standing = f"{ACCOUNTS}/{account_id}/standing"
    assert client.get(standing, headers=owner).json() == {"may_deploy": False, "reasons": ["no_payment_method"]}
    platform = service_token(scope="")
    assert client.get(standing, headers=platform).json() == {"may_deploy": False, "reasons": ["no_payment_method"]}

    publish(_card(account_id))
    started = time.monotonic()
    _until(lambda: client.get(standing, headers=owner).json()["may_deploy"])
    assert time.monotonic() - started < 10
    overview = client.get(f"{ACCOUNTS}/{account_id}", headers=owner).json()
    assert overview["primary_card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}

    invoice = f"inv_{uuid.uuid4().hex[:10]}"
    publish(_invoice_event(InvoiceFinalizedV1, account_id, invoice))
    _until(lambda: client.get(f"{ACCOUNTS}/{account_id}", headers=owner).json()["outstanding_balance"]
           == [{"currency": "EUR", "amount": 4200}])
    assert client.get(standing, headers=owner).json()["may_deploy"], "an invoice awaiting payment is not overdue"

    publish(_invoice_event(InvoiceNotPaidV1, account_id, invoice))
    assert _until(lambda: client.get(standing, headers=platform).json()["reasons"] == ["overdue"])
    publish(_invoice_event(InvoicePaidV1, account_id, invoice))
    _until(lambda: client.get(standing, headers=owner).json() == {"may_deploy": True, "reasons": []})
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=owner).json()["outstanding_balance"] == [
        {"currency": "EUR", "amount": 0}
    ]


def test_deletion_is_the_owners_and_can_be_cancelled_while_pending(client, account, person, outbox_snapshots):
    account_id, _, owner = account
    admin_email, admin = person("admin")
    client.post(f"{ACCOUNTS}/{account_id}/members", json={"email": admin_email, "role": "admin"}, headers=owner)
    deletion = f"{ACCOUNTS}/{account_id}/deletion-request"

    refused = client.post(deletion, headers=admin)
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    assert client.delete(deletion, headers=owner).status_code == 409

    accepted = client.post(deletion, headers=owner)
    assert accepted.status_code == 202 and accepted.json()["status"] == "deletion_requested"
    assert client.get(f"{ACCOUNTS}/{account_id}/standing", headers=owner).json() == {
        "may_deploy": False, "reasons": ["deletion_requested", "no_payment_method"],
    }
    assert client.post(deletion, headers=owner).status_code == 409
    frozen = client.patch(f"{ACCOUNTS}/{account_id}", json={"name": "Renamed"}, headers=owner)
    assert frozen.status_code == 409 and "deletion requested" in frozen.json()["detail"]

    cancelled = client.delete(deletion, headers=owner)
    assert (cancelled.status_code, cancelled.json()) == (200, {"status": "active", "deletion_requested_at": None})
    assert [(s.version, s.status.value) for s in outbox_snapshots(account_id)][-2:] == [
        (3, "deletion_requested"), (4, "active"),
    ]


def test_service_tokens_are_checked_like_any_token(client, account, service_token, accounts_settings):
    account_id, _, _ = account
    forged = jwt.encode({"sub": "svc:platform", "scope": "projects:write", "aud": accounts_settings.jwt_audience,
                         "iss": accounts_settings.jwt_issuer, "exp": datetime.now(UTC) + timedelta(minutes=5)},
                        "not-the-secret-but-long-enough-for-hs256", algorithm="HS256")
    answer = client.get(f"{ACCOUNTS}/{account_id}/standing", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    platform = service_token()
    assert client.get(f"{ACCOUNTS}/ba_0000000000000000/standing", headers=platform).status_code == 404
    # A service token acts for no person: it cannot open, read or rename accounts.
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=platform).status_code == 403
    assert client.get(ACCOUNTS, headers=platform).status_code == 403
