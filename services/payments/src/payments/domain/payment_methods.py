"""Cards on file: what is kept of them and which one is charged by default."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from billing_contracts import PaymentMethodsChangedV1, PrimaryPaymentMethod


@dataclass(frozen=True)
class CardDetails:
    """What may be kept and shown of a card: never its number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class PaymentMethod:
    """A card on file of a billing account, known by the payment provider's id (`pm_...`)."""

    id: str
    billing_account_id: str
    card: CardDetails
    is_primary: bool
    created_at: datetime


def becomes_primary(existing: Sequence[PaymentMethod]) -> bool:
    """A new card is the primary one when the account has no primary card yet (its first card)."""
    return not any(method.is_primary for method in existing)


def payment_methods_snapshot(
    billing_account_id: str, methods: Sequence[PaymentMethod], version: int, changed_at: datetime
) -> PaymentMethodsChangedV1:
    """The account's payment methods as other services see them: whether there is a card to charge."""
    primary = next((method for method in methods if method.is_primary), None)
    return PaymentMethodsChangedV1(
        billing_account_id=billing_account_id,
        has_primary=primary is not None,
        primary=None if primary is None else PrimaryPaymentMethod(
            payment_method_id=primary.id,
            brand=primary.card.brand,
            last4=primary.card.last4,
            exp_month=primary.card.exp_month,
            exp_year=primary.card.exp_year,
        ),
        count=len(methods),
        version=version,
        changed_at=changed_at,
    )


def next_billing_date(now: datetime) -> datetime:
    """When invoices are next charged: the first day of the next month, UTC."""
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)


def expires_before_next_billing(card: CardDetails, now: datetime) -> bool:
    """A card is good through the last day of its expiry month: it will not pay the next invoice
    when that month ends before the next billing date."""
    billing = next_billing_date(now)
    return (card.exp_year, card.exp_month) < (billing.year, billing.month)


@dataclass(frozen=True)
class CardSetup:
    """A Stripe SetupIntent the browser confirms with Stripe.js to create a card for the account."""

    id: str
    client_secret: str
