"""What the payments use cases need from the world, as protocols: the payment provider and the
charge ledger. The real adapters live in `payments.adapters`; unit tests hand in fakes."""

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from billing_contracts import Event

from payments.domain.charges import Charge, ChargeOutcome
from payments.domain.payment_methods import CardDetails, CardSetup


class PaymentGateway(Protocol):
    """The payment provider (Stripe): customers, cards on file and off-session charges.

    Calls are not transactional: each may have happened at the provider even when it raised
    or timed out, so every call that moves money carries an idempotency key, and
    `find_charge` tells what became of an attempt whose outcome was not heard.
    """

    async def ensure_customer(self, billing_account_id: str, email: str | None) -> str:
        """The provider's customer id for the account (created with key `customer-<account id>`)."""
        ...

    async def attach_card(self, customer_id: str, payment_method_id: str) -> CardDetails:
        """Keep the card on file for the customer. Raises `CardRefused`, `PaymentMethodNotFound`
        or `PaymentProviderUnavailable`."""
        ...

    async def create_card_setup(self, customer_id: str) -> CardSetup:
        """A SetupIntent for an off-session card of the customer. Raises `PaymentProviderUnavailable`."""
        ...

    async def detach_card(self, payment_method_id: str) -> None:
        """Take the card off the customer at the provider (done already counts as done).
        Raises `PaymentProviderUnavailable`."""
        ...

    async def charge(
        self, customer_id: str, payment_method_id: str, amount: int, currency: str,
        idempotency_key: str, metadata: Mapping[str, str],
    ) -> ChargeOutcome:
        """Charge the card off-session. Never raises for the provider's sake: a refusal is a
        `ChargeFailure`, and no answer (network, 5xx) is `ChargeOutcomeUnknown`."""
        ...

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeOutcome | None:
        """What became of the attempt made with `idempotency_key` (kept in the payment's
        metadata): None when the provider never received it, `ChargeOutcomeUnknown` when it
        cannot tell now."""
        ...


class ChargeClaim(Protocol):
    """One charge held by one worker: no other worker works on it until the claim ends."""

    charge: Charge
    """As last committed."""
    customer_id: str | None
    """The account's customer at the payment provider; None before its first card."""
    primary_payment_method_id: str | None
    """The card to charge now; None when the account has no card on file."""
    traceparent: str | None
    """The trace the charge was opened in (its invoice's, W3C); None when unknown."""

    async def commit(self, charge: Charge, events: list[Event]) -> bool:
        """Store the charge's new state and stage its events in one transaction, if the stored
        charge is still `self.charge`; returns False (and changes nothing) if it is not."""
        ...


class NewCharges(Protocol):
    """Charges being opened, in the transaction of the event that opens them."""

    async def add(self, charge: Charge, events: list[Event]) -> bool:
        """Record a new charge with its events, unless the invoice already has one (returns False)."""
        ...


class ChargeLedger(Protocol):
    """The charges the charging worker works through."""

    def claim_next(self, now: datetime, stale_before: datetime) -> AbstractAsyncContextManager[ChargeClaim | None]:
        """Hold the next charge to work on: an in-flight one last touched before `stale_before`
        (its worker is gone or its outcome was unknown) first, else a due one whose
        `next_attempt_at` has come; None if none."""
        ...

    def claim(self, invoice_id: str) -> AbstractAsyncContextManager[ChargeClaim | None]:
        """Hold the invoice's charge, whatever its status (to pay it by hand); None when another
        worker holds it. Raises `ChargeNotFound`."""
        ...
