"""What one attempt to charge a card came to, in the terms that decide what happens next."""

from dataclasses import dataclass

from billing_contracts import ChargeFailureKind

CUSTOMER_MESSAGES = {
    ChargeFailureKind.DECLINED:
        "Your card was declined. Please add another card or contact your bank, then pay the invoice.",
    ChargeFailureKind.INSUFFICIENT_FUNDS:
        "Your card has insufficient funds. Please add another card or top up your card, then pay the invoice.",
    ChargeFailureKind.AUTHENTICATION_REQUIRED:
        "Your bank asks you to confirm this payment. Please pay the invoice from your billing dashboard.",
    ChargeFailureKind.NO_PAYMENT_METHOD:
        "There is no card on file for this billing account. Please add a card, then pay the invoice.",
    ChargeFailureKind.PROCESSING_ERROR:
        "The payment could not be processed. Please try again later from your billing dashboard.",
}

HARD_DECLINE_CODES = frozenset({
    "lost_card", "stolen_card", "fraudulent", "pickup_card", "restricted_card", "do_not_try_again",
    "security_violation",
})
"""Issuer decline codes after which Stripe says never to try the card again."""


@dataclass(frozen=True)
class ChargeSucceeded:
    payment_intent_id: str


@dataclass(frozen=True)
class ChargeFailure:
    kind: ChargeFailureKind
    decline_code: str | None
    customer_message: str
    payment_intent_id: str | None = None
    """The provider's payment, when one was made (e.g. one awaiting the customer's authentication)."""

    @classmethod
    def of_kind(
        cls, kind: ChargeFailureKind, decline_code: str | None = None, payment_intent_id: str | None = None
    ) -> "ChargeFailure":
        return cls(kind, decline_code, CUSTOMER_MESSAGES[kind], payment_intent_id)

    @property
    def retryable(self) -> bool:
        """Whether trying the same card again later may help: not when the customer must
        authenticate, nor after a hard decline."""
        if self.kind is ChargeFailureKind.AUTHENTICATION_REQUIRED:
            return False
        return self.decline_code not in HARD_DECLINE_CODES


@dataclass(frozen=True)
class ChargeOutcomeUnknown:
    """The provider could not say whether money moved (network, 5xx): not a failure."""

    reason: str


ChargeOutcome = ChargeSucceeded | ChargeFailure | ChargeOutcomeUnknown
