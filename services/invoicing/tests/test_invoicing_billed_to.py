"""Invoices carry the account's billing details as they were when issued, against the real database:
copied at finalization from the account's snapshot, shown in the API and printed on the PDF, and
never rewritten by a later change of the details."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import AccountMember, BillingAccountChangedV1, BillingAddress, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.clock import FixedClock
from fastapi.testclient import TestClient

from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import Usage
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account

MAINZ = BillingAddress(line1="Rheinstrasse 4", line2="3rd floor", city="Mainz", postal_code="55116", country="DE")


@pytest.fixture
def client(stack, invoicing_url):
    settings = InvoicingSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=invoicing_url)
    with TestClient(create_app(settings, clock=FixedClock(datetime.now(UTC)))) as client:
        client.headers["Authorization"] = f"Bearer {development_token('owner@acme.example', settings)}"
        yield client


async def snapshot(engine, account_id: str, version: int, **details) -> None:
    changed = BillingAccountChangedV1(
        billing_account_id=account_id, name="Acme", status="active", currency="EUR",
        billing_emails=("ap@acme.example",), version=version, changed_at=datetime.now(UTC),
        members=(AccountMember(user_id="usr_1", email="owner@acme.example", role="owner"),), **details,
    )
    async with engine.begin() as tx:
        await replicate_billing_account(new_envelope(changed, source="/billing/accounts"), tx)


async def invoice_of_month(engine, account_id: str, period_start: datetime) -> None:
    at = period_start + timedelta(days=2)
    async with engine.begin() as tx:
        await record_usage([Usage(account_id, "prj_1", "compute.vcpu_hours", Decimal("10"), at)], tx, FixedClock(at))
    async with engine.begin() as tx:
        await close_period(period_start, tx, FixedClock(period_start + timedelta(days=40)))


async def test_an_invoice_keeps_the_billing_details_it_was_issued_with(engine, client, far_period):
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    await snapshot(engine, account_id, 1, legal_name="Acme Rockets GmbH", billing_address=MAINZ, tax_id="DE123456789")
    await invoice_of_month(engine, account_id, far_period.start)

    # The details change, and a stale snapshot arrives late: neither touches the issued invoice.
    await snapshot(engine, account_id, 3, legal_name="Acme Orbital AG", billing_address=MAINZ.model_copy(
        update={"line1": "Kaiserstrasse 9", "line2": None}))
    await snapshot(engine, account_id, 2, legal_name="Acme Stale KG")
    await invoice_of_month(engine, account_id, BillingPeriod.containing(far_period.end).start)

    listed = client.get(f"/v1/billing-accounts/{account_id}/invoices").json()
    first, second = (client.get(f"/v1/invoices/{i['id']}").json() for i in sorted(listed, key=lambda i: i["period"]))
    assert first["billed_to"] == {
        "legal_name": "Acme Rockets GmbH", "billing_emails": ["ap@acme.example"], "tax_id": "DE123456789",
        "address": {"line1": "Rheinstrasse 4", "line2": "3rd floor", "city": "Mainz", "postal_code": "55116",
                    "region": None, "country": "DE"},
    }
    assert (second["billed_to"]["legal_name"], second["billed_to"]["address"]["line1"]) == ("Acme Orbital AG", "Kaiserstrasse 9")
    assert second["billed_to"]["tax_id"] is None

    pdf = client.get(f"/v1/invoices/{first['id']}/pdf").content
    for printed in (b"Bill to:", b"Acme Rockets GmbH", b"Rheinstrasse 4", b"55116 Mainz", b"Tax id: DE123456789"):
        assert printed in pdf
    assert b"Acme Orbital AG" not in pdf


async def test_an_account_without_billing_details_is_invoiced_to_its_name(engine, client, far_period):
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    await snapshot(engine, account_id, 1)
    await invoice_of_month(engine, account_id, far_period.start)

    [listed] = client.get(f"/v1/billing-accounts/{account_id}/invoices").json()
    billed_to = client.get(f"/v1/invoices/{listed['id']}").json()["billed_to"]
    assert billed_to == {"legal_name": "Acme", "billing_emails": ["ap@acme.example"], "address": None, "tax_id": None}
