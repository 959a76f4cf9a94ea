"""Hand-written fakes of the payments ports, for unit tests: a payment provider and a ledger."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from billing_contracts import ChargeFailureKind, Event
from billing_runtime.observability import tracing

from payments.domain.charges import Charge, ChargeFailure, ChargeOutcome, ChargeOutcomeUnknown, ChargeStatus, ChargeSucceeded
from payments.domain.errors import ChargeNotFound
from payments.domain.payment_methods import CardDetails, CardSetup


class ProviderUnreachable(Exception):
    """The fake's stand-in for a worker crash or a dropped connection around a charge call."""


@dataclass
class Payment:
    """A PaymentIntent as the fake provider keeps it."""

    id: str
    customer_id: str
    payment_method_id: str
    amount: int
    currency: str
    metadata: dict[str, str]
    outcome: ChargeOutcome


class FakeGateway:
    """A payment provider in memory. Cards charge successfully unless told otherwise; like the
    emulator, it keeps no idempotency keys, so every `charge` call is a new payment."""

    Unreachable = ProviderUnreachable

    def __init__(self) -> None:
        self.customers: dict[str, str] = {}
        self.attached: dict[str, str] = {}
        self.payments: list[Payment] = []
        self.refusals: dict[str, ChargeFailure] = {}
        self.lose_next_answer = False
        self.fail_next_before_sending = False
        self.on_charge = lambda key: None
        """Called with the idempotency key as a charge is received (to look at the ledger then)."""

    def refuse(self, payment_method_id: str, kind: ChargeFailureKind, decline_code: str | None = None) -> None:
        self.refusals[payment_method_id] = ChargeFailure.of_kind(kind, decline_code)

    def succeeded_payments(self, invoice_id: str) -> list[Payment]:
        return [p for p in self.payments
                if p.metadata["invoice_id"] == invoice_id and isinstance(p.outcome, ChargeSucceeded)]

    async def ensure_customer(self, billing_account_id: str, email: str | None) -> str:
        return self.customers.setdefault(billing_account_id, f"cus_{billing_account_id}")

    async def attach_card(self, customer_id: str, payment_method_id: str) -> CardDetails:
        self.attached[payment_method_id] = customer_id
        return CardDetails(brand="visa", last4="4242", exp_month=12, exp_year=2031)

    async def create_card_setup(self, customer_id: str) -> CardSetup:
        return CardSetup(id=f"seti_{customer_id}", client_secret=f"seti_{customer_id}_secret")

    async def detach_card(self, payment_method_id: str) -> None:
        self.attached.pop(payment_method_id, None)

    async def charge(
        self, customer_id: str, payment_method_id: str, amount: int, currency: str,
        idempotency_key: str, metadata: Mapping[str, str],
    ) -> ChargeOutcome:
        self.on_charge(idempotency_key)
        if self.fail_next_before_sending:
            self.fail_next_before_sending = False
            raise ProviderUnreachable("the process died before the request left")
        payment_id = f"pi_{len(self.payments) + 1}"
        outcome = self.refusals.get(payment_method_id) or ChargeSucceeded(payment_id)
        self.payments.append(Payment(payment_id, customer_id, payment_method_id, amount, currency, dict(metadata), outcome))
        if self.lose_next_answer:
            self.lose_next_answer = False
            return ChargeOutcomeUnknown("the connection dropped before the answer")
        return outcome

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeOutcome | None:
        found = [p for p in self.payments
                 if p.customer_id == customer_id and p.metadata.get("idempotency_key") == idempotency_key]
        return found[-1].outcome if found else None


class FakeClaim:
    def __init__(self, ledger: "FakeChargeLedger", charge: Charge) -> None:
        self.ledger = ledger
        self.charge = charge
        self.customer_id = ledger.customers.get(charge.billing_account_id)
        self.primary_payment_method_id = ledger.primary_cards.get(charge.billing_account_id)
        self.traceparent = ledger.traces.get(charge.invoice_id)

    async def commit(self, charge: Charge, events: list[Event]) -> bool:
        if self.ledger.charges[charge.invoice_id] != self.charge:
            return False
        self.ledger.charges[charge.invoice_id] = charge
        self.ledger.events.extend(events)
        self.charge = charge
        return True


class FakeChargeLedger:
    """Charges in memory, with the events each change staged (the outbox)."""

    def __init__(self) -> None:
        self.charges: dict[str, Charge] = {}
        self.events: list[Event] = []
        self.customers: dict[str, str] = {}
        self.primary_cards: dict[str, str] = {}
        self.traces: dict[str, str | None] = {}
        """The trace each charge was opened in."""

    def card_on_file(self, billing_account_id: str, payment_method_id: str) -> None:
        self.customers[billing_account_id] = f"cus_{billing_account_id}"
        self.primary_cards[billing_account_id] = payment_method_id

    async def add(self, charge: Charge, events: list[Event]) -> bool:
        if charge.invoice_id in self.charges:
            return False
        self.charges[charge.invoice_id] = charge
        self.traces[charge.invoice_id] = tracing.current()
        self.events.extend(events)
        return True

    @asynccontextmanager
    async def claim_next(self, now: datetime, stale_before: datetime) -> AsyncIterator[FakeClaim | None]:
        in_flight = [c for c in self.charges.values() if c.status is ChargeStatus.IN_FLIGHT and c.updated_at < stale_before]
        due = [c for c in self.charges.values() if c.status is ChargeStatus.DUE and c.next_attempt_at <= now]
        candidates = sorted(in_flight, key=lambda c: c.updated_at) + sorted(due, key=lambda c: c.next_attempt_at)
        yield FakeClaim(self, candidates[0]) if candidates else None

    @asynccontextmanager
    async def claim(self, invoice_id: str) -> AsyncIterator[FakeClaim | None]:
        if invoice_id not in self.charges:
            raise ChargeNotFound(invoice_id)
        yield FakeClaim(self, self.charges[invoice_id])


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def ledger() -> FakeChargeLedger:
    return FakeChargeLedger()
