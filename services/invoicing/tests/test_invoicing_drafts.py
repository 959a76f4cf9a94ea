"""Draft invoices of the open period ("upcoming"), against the real database: priced from the usage
so far, one per project when the account asks, readable and printable by id by members only, and
gone once the period is finalized."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import AccountMember, BillingAccountChangedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.clock import FixedClock
from fastapi.testclient import TestClient

from invoicing.adapters import invoice_settings
from invoicing.domain.drafts import draft_id, parse_draft_id
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import InvoiceCategory, InvoiceStatus
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import Usage
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings
from invoicing.use_cases.close_period import close_period
from invoicing.use_cases.read_invoices import account_invoices, invoice_for_member
from invoicing.use_cases.record_usage import record_usage
from invoicing.use_cases.replicate_billing_account import replicate_billing_account


async def new_account(engine) -> tuple[str, str]:
    account_id, owner = f"ba_{uuid.uuid4().hex[:12]}", f"owner-{uuid.uuid4().hex[:8]}@example.com"
    changed = BillingAccountChangedV1(billing_account_id=account_id, name="Acme", status="active", currency="USD",
                                      billing_emails=(), members=(AccountMember(user_id="u1", email=owner, role="owner"),),
                                      version=1, changed_at=datetime.now(UTC))
    async with engine.begin() as tx:
        await replicate_billing_account(new_envelope(changed, source="/billing/accounts"), tx)
    return account_id, owner


async def use(engine, account_id: str, project: str, quantity: str, at: datetime) -> None:
    async with engine.begin() as tx:
        await record_usage([Usage(account_id, project, "compute.vcpu_hours", Decimal(quantity), at)], tx, FixedClock(at))


async def test_a_stranger_is_refused_a_draft_before_its_month_is_priced(engine, far_period, monkeypatch):
    from invoicing.use_cases import read_invoices

    account_id, _ = await new_account(engine)
    priced = []

    async def pricing(connection, account, clock):
        priced.append(account)
        return []

    monkeypatch.setattr(read_invoices, "open_period_drafts", pricing)
    async with engine.connect() as connection:
        with pytest.raises(InvoiceNotFound):
            await invoice_for_member(connection, draft_id(account_id, far_period, None), "stranger@example.com")
    assert priced == []  # another tenant's draft ids cost nothing but the membership check


def test_a_draft_id_names_account_month_and_project():
    period = BillingPeriod.month(2026, 11)
    assert parse_draft_id(draft_id("ba_1", period, None)) == ("ba_1", "2026-11", None)
    assert parse_draft_id(draft_id("ba_1", period, "prj.web:1")) == ("ba_1", "2026-11", "prj.web:1")
    assert parse_draft_id("inv_123") is None and parse_draft_id("draft.") is None and parse_draft_id("draft.ba_1") is None


async def test_drafts_are_priced_so_far_split_per_project_and_end_with_the_period(engine, far_period):
    account_id, owner = await new_account(engine)
    now = FixedClock(far_period.start + timedelta(days=12))
    await use(engine, account_id, "prj_web", "100", far_period.start + timedelta(days=1))   # 100 × 0.0412 = 4.12
    await use(engine, account_id, "prj_db", "10", far_period.start + timedelta(days=2))     # 10 × 0.0412 = 0.41

    async with engine.connect() as connection:
        [(draft, _)] = await account_invoices(connection, account_id, category=InvoiceCategory.UPCOMING, clock=now)
        assert (draft.status, draft.number, draft.amount_due, draft.finalized_at) == (InvoiceStatus.DRAFT, "DRAFT", 453, None)
        assert await account_invoices(connection, account_id, category=InvoiceCategory.HISTORY, clock=now) == []
        [(of_db, subtotal)] = await account_invoices(connection, account_id, project_id="prj_db", clock=now)
        assert (of_db.id, subtotal) == (draft.id, 41)
        assert (await invoice_for_member(connection, draft.id, owner, clock=now)).lines == draft.lines
        with pytest.raises(InvoiceNotFound):
            await invoice_for_member(connection, draft.id, "stranger@example.com", clock=now)

    async with engine.begin() as tx:
        await invoice_settings.save(tx, account_id, True, now.now())
    async with engine.connect() as connection:
        drafts = [d for d, _ in await account_invoices(connection, account_id, status=InvoiceStatus.DRAFT, clock=now)]
    assert {(d.project_id, d.amount_due) for d in drafts} == {("prj_web", 412), ("prj_db", 41)}

    async with engine.begin() as tx:
        await close_period(far_period.start, tx, FixedClock(far_period.end + timedelta(hours=2)))
    async with engine.connect() as connection:  # finalized now: no draft of that month is left, nor readable
        assert await account_invoices(connection, account_id, status=InvoiceStatus.DRAFT, clock=now) == []
        with pytest.raises(InvoiceNotFound):
            await invoice_for_member(connection, drafts[0].id, owner, clock=now)


async def test_members_list_read_and_print_the_draft_over_http(engine, stack, invoicing_url):
    settings = InvoicingSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=invoicing_url)
    account_id, owner = await new_account(engine)
    await use(engine, account_id, "prj_web", "50", datetime.now(UTC))
    member = {"Authorization": f"Bearer {development_token(owner, settings)}"}
    stranger = {"Authorization": f"Bearer {development_token('stranger@example.com', settings)}"}

    with TestClient(create_app(settings)) as client:
        [listed] = client.get(f"/v1/billing-accounts/{account_id}/invoices", params={"category": "upcoming"},
                              headers=member).json()
        assert (listed["status"], listed["number"], listed["amount_due"]) == ("draft", "DRAFT", 206)
        assert client.get(f"/v1/invoices/{listed['id']}", headers=member).json()["lines"][0]["quantity"] == "50"
        pdf = client.get(f"/v1/invoices/{listed['id']}/pdf", headers=member)
        assert pdf.content.startswith(b"%PDF-") and b"Status: draft" in pdf.content and b"Total due: 2.06 USD" in pdf.content
        assert client.get(f"/v1/invoices/{listed['id']}", headers=stranger).status_code == 404
        assert client.get(f"/v1/invoices/draft.{account_id}.1999-01", headers=member).status_code == 404
