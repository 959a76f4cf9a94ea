"""Invoicing's HTTP routes, in-process with the real database and broker, with development tokens."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import AccountMember, BillingAccountChangedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.clock import FixedClock
from fastapi.testclient import TestClient

from invoicing.domain.usage import Usage
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account

OPERATOR = "operator@billing.local"


@pytest.fixture
def settings(stack, invoicing_url) -> InvoicingSettings:
    return InvoicingSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=invoicing_url)


@pytest.fixture
async def account(engine, far_period) -> dict:
    """A JPY account (owner and viewer known from its snapshot) with usage in `far_period`."""
    account_id = f"ba_{uuid.uuid4().hex[:12]}"
    people = {"owner": f"owner-{account_id}@example.com", "viewer": f"viewer-{account_id}@example.com"}
    members = tuple(AccountMember(user_id=f"usr_{role}", email=email, role=role) for role, email in people.items())
    changed = BillingAccountChangedV1(billing_account_id=account_id, name="Kaisha", status="active", currency="JPY",
                                      billing_emails=(), members=members, version=1, changed_at=datetime.now(UTC))
    at = far_period.start + timedelta(days=9)
    async with engine.begin() as tx:
        await replicate_billing_account(new_envelope(changed, source="/billing/accounts"), tx)
        await record_usage([Usage(account_id, "prj_web", "compute.vcpu_hours", Decimal("100.25"), at),
                            Usage(account_id, "prj_web", "network.egress_gb", Decimal("0.5"), at)], tx, FixedClock(at))
    return {"id": account_id, **people}


def bearer(email: str, settings: InvoicingSettings) -> dict:
    return {"Authorization": f"Bearer {development_token(email, settings)}"}


def test_an_operator_closes_a_period_and_members_read_their_invoices(settings, account, far_period):
    # The present, not the far period's end: the app's period closer runs on this clock too, and
    # would otherwise close every period of the shared database.
    now = datetime.now(UTC).replace(microsecond=0)
    app = create_app(settings, clock=FixedClock(now))
    viewer, owner = bearer(account["viewer"], settings), bearer(account["owner"], settings)
    outsider = bearer(f"outsider-{uuid.uuid4().hex[:6]}@example.com", settings)
    with TestClient(app) as client:
        close = {"period": far_period.label}
        assert client.post("/v1/billing-periods/close", json=close).status_code == 401
        assert client.post("/v1/billing-periods/close", json=close, headers=owner).status_code == 403
        assert client.post("/v1/billing-periods/close", json={"period": "2026-13"}, headers=bearer(OPERATOR, settings)).status_code == 422

        closed = client.post("/v1/billing-periods/close", json=close, headers=bearer(OPERATOR, settings))
        assert closed.status_code == 200
        assert closed.json()["period"] == far_period.label and closed.json()["invoices_finalized"] >= 1
        again = client.post("/v1/billing-periods/close", json=close, headers=bearer(OPERATOR, settings))
        assert again.json() == {"period": far_period.label, "invoices_finalized": 0, "not_invoiced": []}

        listed = client.get(f"/v1/billing-accounts/{account['id']}/invoices", headers=viewer)
        assert listed.status_code == 200
        [summary] = listed.json()
        # 100.25 vCPU-hours × ¥6.2 = ¥621.55 → ¥622; 0.5 GB × ¥13 = ¥6.5 → ¥6 (half-even, no minor unit).
        assert {k: summary[k] for k in ("status", "amount_due", "currency", "period")} == {
            "status": "payment_pending", "amount_due": 628, "currency": "JPY", "period": far_period.label}
        assert summary["id"].startswith("inv_") and summary["number"].startswith(f"INV-{far_period.label}-")
        assert datetime.fromisoformat(summary["due_at"]) == now + timedelta(days=14)

        by_status = lambda status: client.get(f"/v1/billing-accounts/{account['id']}/invoices", params={"status": status}, headers=viewer)
        assert [i["id"] for i in by_status("payment_pending").json()] == [summary["id"]]
        assert by_status("paid").json() == []
        assert by_status("lost").status_code == 422
        assert client.get(f"/v1/billing-accounts/{account['id']}/invoices", headers=outsider).status_code == 404

        detail = client.get(f"/v1/invoices/{summary['id']}", headers=owner)
        assert detail.status_code == 200
        assert {k: detail.json()[k] for k in summary} == summary
        assert detail.json()["lines"] == [
            {"project_id": "prj_web", "meter": "compute.vcpu_hours", "usage_period": far_period.label, "quantity": "100.25",
             "unit_price": "6.2", "price_model": "per_unit", "price_terms": "6.2 per unit", "amount": 622, "late": False},
            {"project_id": "prj_web", "meter": "network.egress_gb", "usage_period": far_period.label, "quantity": "0.5",
             "unit_price": "13", "price_model": "per_unit", "price_terms": "13 per unit", "amount": 6, "late": False},
        ]
        assert client.get(f"/v1/invoices/{summary['id']}", headers=outsider).status_code == 404
        assert client.get(f"/v1/invoices/{summary['id']}", headers=bearer(OPERATOR, settings)).status_code == 404
        assert client.get("/v1/invoices/inv_does_not_exist", headers=owner).status_code == 404
        assert client.get(f"/v1/invoices/{summary['id']}").status_code == 401
