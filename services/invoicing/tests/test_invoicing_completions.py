"""The invoicing completions against the real database: per-project invoices, categories, final
failures, voids, late usage, reconciliation, the PDF, the estimate, price changes, HTTP usage."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import AccountMember, BillingAccountChangedV1, ChargeFailedV1, ChargeSucceededV1, new_envelope, parse_event
from billing_runtime.auth import development_token
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.tables import OUTBOX
from fastapi.testclient import TestClient
from sqlalchemy import select

from invoicing.adapters.tables import USAGE_TOTALS
from invoicing.domain.usage import Usage
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.estimate_spend import estimate_spend
from invoicing.use_cases.record_failed_charge import record_failed_charge
from invoicing.use_cases.record_successful_charge import record_successful_charge
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account

OPERATOR, PRODUCER = "operator@billing.local", "usage-producer@billing.local"


@pytest.fixture
def settings(stack, invoicing_url) -> InvoicingSettings:
    return InvoicingSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=invoicing_url)


@pytest.fixture
def client(settings):
    # The present: the app's period closer runs on this clock and must not close the far periods.
    with TestClient(create_app(settings, clock=FixedClock(datetime.now(UTC)))) as client:
        yield client


def bearer(email: str, settings) -> dict:
    return {"Authorization": f"Bearer {development_token(email, settings)}"}


async def new_account(engine, currency: str = "USD") -> dict:
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    people = {role: f"{role}-{account_id}@example.com" for role in ("owner", "admin", "viewer")}
    members = tuple(AccountMember(user_id=f"usr_{r}", email=e, role=r) for r, e in people.items())
    changed = BillingAccountChangedV1(billing_account_id=account_id, name="Acme", status="active", currency=currency,
                                      billing_emails=(), members=members, version=1, changed_at=datetime.now(UTC))
    async with engine.begin() as tx:
        await replicate_billing_account(new_envelope(changed, source="/billing/accounts"), tx)
    return {"id": account_id, **people}


async def use(engine, account: str, project: str, meter: str, quantity: str, at: datetime) -> None:
    async with engine.begin() as tx:
        await record_usage([Usage(account, project, meter, Decimal(quantity), at)], tx, FixedClock(at))


async def outbox(engine, account: str, topic: str) -> list:
    async with engine.connect() as connection:
        rows = await connection.execute(select(OUTBOX.c.payload).where(OUTBOX.c.key == account, OUTBOX.c.topic == topic))
        return [parse_event(row.payload).data for row in rows]


def charge_failed(invoice: dict, final: bool) -> ChargeFailedV1:
    return ChargeFailedV1(billing_account_id=invoice["billing_account_id"], invoice_id=invoice["id"],
                          invoice_number=invoice["number"], attempt=4 if final else 1, amount=invoice["amount_due"],
                          currency="USD", failure_kind="declined", customer_message="Declined.", final=final,
                          next_retry_at=None, failed_at=datetime.now(UTC))


async def test_per_project_invoices_categories_final_failure_void_and_pdf(engine, settings, client, far_period):
    account = await new_account(engine)
    at = far_period.start + timedelta(days=3)
    await use(engine, account["id"], "prj_web", "compute.vcpu_hours", "100", at)   # 100 × 0.0412 = 4.12
    await use(engine, account["id"], "prj_db", "storage.gb_months", "10", at)      # 10 × 0.023 = 0.23
    owner, viewer, operator = (bearer(account[r], settings) for r in ("owner", "viewer", "admin"))
    url = f"/v1/billing-accounts/{account['id']}"
    assert client.put(f"{url}/invoice-settings", json={"per_project": True}, headers=viewer).status_code == 403
    assert client.put(f"{url}/invoice-settings", json={"per_project": True}, headers=operator).json() == {"per_project": True}

    closed = client.post("/v1/billing-periods/close", json={"period": far_period.label}, headers=bearer(OPERATOR, settings))
    assert closed.status_code == 200
    invoices = {i["project_id"]: i for i in client.get(f"{url}/invoices", headers=viewer).json()}
    assert {p: i["amount_due"] for p, i in invoices.items()} == {"prj_web": 412, "prj_db": 23}
    web, db = invoices["prj_web"], invoices["prj_db"]
    [only_db] = client.get(f"{url}/invoices", params={"project_id": "prj_db"}, headers=viewer).json()
    assert (only_db["id"], only_db["project_subtotal"]) == (db["id"], 23)
    finalized = {e.project_id: e.amount_due for e in await outbox(engine, account["id"], "invoice.finalized")}
    assert finalized == {"prj_web": 412, "prj_db": 23}

    # web: a retryable failure, then the final one → not_paid, announced once.
    async with engine.begin() as tx:
        await record_failed_charge(charge_failed(web, final=False), tx)
        await record_failed_charge(charge_failed(web, final=True), tx)
        await record_failed_charge(charge_failed(web, final=True), tx)
    [not_paid] = await outbox(engine, account["id"], "invoice.not_paid")
    assert (not_paid.invoice_id, not_paid.amount) == (web["id"], 412)
    listed = lambda **params: [i["id"] for i in client.get(f"{url}/invoices", params=params, headers=viewer).json()]
    assert listed(category="action_required") == [web["id"]]
    assert listed(category="upcoming") == [db["id"]]
    assert listed(category="history") == [] and listed(category="action_required", status="payment_due") == []

    # Void: not by a viewer, by the owner; a paid invoice is refused with nothing changed.
    assert client.post(f"/v1/invoices/{web['id']}/void", json={}, headers=viewer).status_code == 403
    assert client.post(f"/v1/invoices/{web['id']}/void", headers=bearer("stranger@example.com", settings)).status_code == 404
    voided = client.post(f"/v1/invoices/{web['id']}/void", json={"reason": "Issued in error."}, headers=owner)
    assert (voided.status_code, voided.json()["status"]) == (200, "void")
    [announced] = await outbox(engine, account["id"], "invoice.voided")
    assert (announced.invoice_id, announced.reason) == (web["id"], "Issued in error.")
    async with engine.begin() as tx:  # a late success after the void changes nothing
        assert not await record_successful_charge(ChargeSucceededV1(
            billing_account_id=account["id"], invoice_id=web["id"], attempt=5, amount=412, currency="USD",
            payment_intent_id="pi_x", paid_at=datetime.now(UTC)), tx)
        await record_successful_charge(ChargeSucceededV1(
            billing_account_id=account["id"], invoice_id=db["id"], attempt=1, amount=23, currency="USD",
            payment_intent_id="pi_y", paid_at=datetime.now(UTC)), tx)
    refused = client.post(f"/v1/invoices/{db['id']}/void", headers=bearer(OPERATOR, settings))
    assert refused.status_code == 409 and "paid" in refused.json()["detail"]
    assert client.get(f"/v1/invoices/{db['id']}", headers=viewer).json()["status"] == "paid"
    assert len(await outbox(engine, account["id"], "invoice.voided")) == 1
    assert sorted(listed(category="history")) == sorted([web["id"], db["id"]])

    pdf = client.get(f"/v1/invoices/{web['id']}/pdf", headers=viewer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert web["number"].encode() in pdf.content and b"Total due: 4.12 USD" in pdf.content and b"Status: void" in pdf.content
    assert client.get(f"/v1/invoices/{web['id']}/pdf", headers=bearer("stranger@example.com", settings)).status_code == 404


async def test_late_usage_is_billed_on_the_next_invoice_naming_its_period(engine, settings, client, far_period):
    account = await new_account(engine)
    at, next_period = far_period.start + timedelta(days=20), far_period.end
    await use(engine, account["id"], "prj", "compute.vcpu_hours", "100", at)
    async with engine.begin() as tx:
        first = (await close_period(far_period.start, tx, FixedClock(far_period.end + timedelta(hours=1)))).finalized
    assert [i.amount_due for i in first if i.billing_account_id == account["id"]] == [412]
    await use(engine, account["id"], "prj", "compute.vcpu_hours", "50", at)  # after finalizing: late
    async with engine.connect() as connection:
        flagged = (await connection.execute(select(USAGE_TOTALS.c.late_unbilled).where(
            USAGE_TOTALS.c.billing_account_id == account["id"]))).scalar()
    assert flagged is True
    await use(engine, account["id"], "prj", "compute.vcpu_hours", "10", next_period + timedelta(days=1))

    following = BillingPeriod_after(next_period)
    async with engine.begin() as tx:
        closing = await close_period(next_period, tx, FixedClock(following))
    [second] = [i for i in closing.finalized if i.billing_account_id == account["id"]]
    assert [(l.usage_period.start, l.quantity, l.amount) for l in second.lines] == [
        (far_period.start, Decimal("50"), 206), (next_period, Decimal("10"), 41)]
    assert second.amount_due == 247 and "late usage of " + far_period.label in second.lines[0].price_terms
    async with engine.connect() as connection:  # billed now: the late flag is cleared
        flags = (await connection.execute(select(USAGE_TOTALS.c.period_start, USAGE_TOTALS.c.late_unbilled).where(
            USAGE_TOTALS.c.billing_account_id == account["id"]))).all()
    assert sorted(flags) == [(far_period.start, False), (next_period, False)]

    detail = client.get(f"/v1/invoices/{second.id}", headers=bearer(account["viewer"], settings)).json()
    assert [(l["usage_period"], l["late"]) for l in detail["lines"]] == [(far_period.label, True), (second.period.label, False)]
    assert client.get(f"/v1/invoices/{second.id}/reconciliation", headers=bearer(account["owner"], settings)).status_code == 403
    recon = client.get(f"/v1/invoices/{second.id}/reconciliation", headers=bearer(OPERATOR, settings)).json()
    assert [(l["usage_period"], l["events_received"], l["events_rated_on_invoice"], l["events_billed_overall"],
             l["events_awaiting_billing"]) for l in recon["lines"]] == [(far_period.label, 2, 1, 2, 0), (second.period.label, 1, 1, 1, 0)]
    async with engine.begin() as tx:  # nothing is billed twice
        again = await close_period(BillingPeriod_after(following), tx, FixedClock(following))
    assert [i for i in again.finalized if i.billing_account_id == account["id"]] == []


def BillingPeriod_after(start: datetime) -> datetime:
    return (start + timedelta(days=32)).replace(day=1)


async def test_the_estimate_projects_month_to_date_linearly(engine, far_period):
    account = await new_account(engine)
    await use(engine, account["id"], "prj", "compute.vcpu_hours", "100", far_period.start + timedelta(days=1))
    halfway = far_period.start + (far_period.end - far_period.start) / 2
    async with engine.connect() as connection:
        spend = await estimate_spend(connection, account["id"], FixedClock(halfway))
    [line] = spend.lines
    assert (spend.elapsed_fraction, line.amount_to_date, line.projected_quantity, line.projected_amount) == (
        Decimal("0.5"), 412, Decimal("200"), 824)
