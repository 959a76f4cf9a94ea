"""The replicas behind standing (payment methods, invoice statuses) and the closing of accounts
whose deletion was requested, through the use cases against the real accounts database."""

import uuid
from datetime import UTC, datetime, timedelta

from billing_contracts import (
    InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1, InvoicePaymentDueV1, PaymentMethodsChangedV1, new_envelope,
)
from billing_runtime.auth import Caller
from billing_runtime.clock import FixedClock

from accounts.adapters.replicas import has_unpaid_invoice, outstanding_balance, primary_card
from accounts.domain.standing import Reason
from accounts.use_cases.close_settled_accounts import close_if_settled
from accounts.use_cases.create_billing_account import CreateBillingAccount, create_billing_account
from accounts.use_cases.get_standing import get_standing
from accounts.use_cases.record_invoice_status import record_invoice_status
from accounts.use_cases.record_payment_methods import record_payment_methods
from accounts.use_cases.request_deletion import request_account_deletion

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
GRACE = timedelta(hours=1)


def _card_snapshot(account_id: str, version: int, has_primary: bool):
    primary = {"payment_method_id": "pm_1", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}
    return new_envelope(PaymentMethodsChangedV1(
        billing_account_id=account_id, has_primary=has_primary, primary=primary if has_primary else None,
        count=1 if has_primary else 0, version=version, changed_at=NOW), source="/billing/payments")


def _invoice(event, account_id: str, invoice_id: str, amount: int = 4200):
    common = {"billing_account_id": account_id, "invoice_id": invoice_id, "invoice_number": f"INV-{invoice_id}",
              "currency": "EUR"}
    if event is InvoiceFinalizedV1:
        return new_envelope(InvoiceFinalizedV1(**common, amount_due=amount, period_start=NOW - timedelta(days=30),
                                               period_end=NOW, due_at=NOW + timedelta(days=14), finalized_at=NOW),
                            source="/billing/invoicing")
    extra = {InvoicePaymentDueV1: {"due_at": NOW}, InvoiceNotPaidV1: {"not_paid_at": NOW},
             InvoicePaidV1: {"paid_at": NOW}}[event]
    return new_envelope(event(**common, amount=amount, **extra), source="/billing/invoicing")


async def _open(engine, account_ids, clock) -> tuple[str, Caller]:
    owner = Caller(subject="usr_owner", email=f"owner.{uuid.uuid4().hex[:8]}@example.com")
    async with engine.begin() as tx:
        account = await create_billing_account(CreateBillingAccount(owner, "Acme", "EUR", "b@acme.example"), tx, clock, account_ids)
    return account.id, owner


async def test_a_payment_method_snapshot_applies_only_when_newer(accounts_engine, account_ids):
    account_id, owner = await _open(accounts_engine, account_ids, FixedClock(NOW))
    async with accounts_engine.connect() as connection:
        assert (await get_standing(account_id, owner, connection)).reasons == (Reason.NO_PAYMENT_METHOD,)
    async with accounts_engine.begin() as tx:
        await record_payment_methods([_card_snapshot(account_id, 2, True), _card_snapshot(account_id, 1, False)], tx)
    async with accounts_engine.connect() as connection:
        card = await primary_card(connection, account_id)
        assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2031)
        assert (await get_standing(account_id, owner, connection)).may_deploy
    async with accounts_engine.begin() as tx:
        await record_payment_methods([_card_snapshot(account_id, 3, False)], tx)
    async with accounts_engine.connect() as connection:
        assert await primary_card(connection, account_id) is None


async def test_invoices_only_move_forward_and_paid_is_final(accounts_engine, account_ids):
    account_id, owner = await _open(accounts_engine, account_ids, FixedClock(NOW))
    first, second = f"inv_{uuid.uuid4().hex[:8]}", f"inv_{uuid.uuid4().hex[:8]}"
    async with accounts_engine.begin() as tx:
        await record_invoice_status([_invoice(InvoiceFinalizedV1, account_id, first, 4200),
                                     _invoice(InvoiceFinalizedV1, account_id, second, 800)], tx)
    async with accounts_engine.connect() as connection:
        assert await outstanding_balance(connection, account_id) == {"EUR": 5000}
    async with accounts_engine.begin() as tx:
        # Out of order: not_paid, then a late payment_due of the same invoice, which must not undo it.
        await record_invoice_status([_invoice(InvoiceNotPaidV1, account_id, first),
                                     _invoice(InvoicePaymentDueV1, account_id, first)], tx)
    async with accounts_engine.connect() as connection:
        assert await has_unpaid_invoice(connection, account_id)
        assert Reason.OVERDUE in (await get_standing(account_id, owner, connection)).reasons
    async with accounts_engine.begin() as tx:
        await record_invoice_status([_invoice(InvoicePaidV1, account_id, first),
                                     _invoice(InvoiceNotPaidV1, account_id, first)], tx)  # paid is final
    async with accounts_engine.connect() as connection:
        assert not await has_unpaid_invoice(connection, account_id)
        assert await outstanding_balance(connection, account_id) == {"EUR": 800}


async def test_an_account_closes_after_the_grace_once_nothing_is_owed(accounts_engine, account_ids, outbox_snapshots):
    clock = FixedClock(NOW)
    account_id, owner = await _open(accounts_engine, account_ids, clock)
    invoice = f"inv_{uuid.uuid4().hex[:8]}"
    async with accounts_engine.begin() as tx:
        await record_invoice_status([_invoice(InvoiceFinalizedV1, account_id, invoice)], tx)
        await request_account_deletion(account_id, owner, tx, clock)

    clock.advance(GRACE - timedelta(seconds=1))
    async with accounts_engine.begin() as tx:
        assert not await close_if_settled(tx, account_id, clock, GRACE), "still within the grace"
    clock.advance(timedelta(seconds=1))
    async with accounts_engine.begin() as tx:
        assert not await close_if_settled(tx, account_id, clock, GRACE), "an invoice is outstanding"
    async with accounts_engine.begin() as tx:
        await record_invoice_status([_invoice(InvoicePaidV1, account_id, invoice)], tx)
        assert await close_if_settled(tx, account_id, clock, GRACE)
    async with accounts_engine.begin() as tx:
        assert not await close_if_settled(tx, account_id, clock, GRACE), "closed once"

    snapshots = outbox_snapshots(account_id)
    assert [(s.version, s.status.value) for s in snapshots] == [(1, "active"), (2, "deletion_requested"), (3, "closed")]
    async with accounts_engine.connect() as connection:
        assert (await get_standing(account_id, owner, connection)).reasons == (Reason.CLOSED, Reason.NO_PAYMENT_METHOD)
