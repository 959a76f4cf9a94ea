"""The payment gateway on Stripe (or the Stripe-compatible emulator), through the official SDK.

The SDK is synchronous; each call runs in a worker thread so the event loop keeps serving.
Stripe objects are not dicts: optional fields are read with `getattr`.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import stripe
from billing_contracts import ChargeFailureKind

from payments.domain.charges import ChargeFailure, ChargeOutcome, ChargeOutcomeUnknown, ChargeSucceeded
from payments.domain.errors import CardRefused, PaymentMethodNotFound, PaymentProviderUnavailable
from payments.domain.payment_methods import CardDetails, CardSetup

log = logging.getLogger(__name__)

T = TypeVar("T")

DECLINED_BY_DEFAULT = "Your card was declined."


def failure_of_card_error(
    code: str | None, decline_code: str | None, payment_intent_id: str | None = None
) -> ChargeFailure:
    """Stripe's card error codes in the terms that decide what happens next."""
    if code == "authentication_required" or decline_code == "authentication_required":
        kind = ChargeFailureKind.AUTHENTICATION_REQUIRED
    elif decline_code == "insufficient_funds" or code == "insufficient_funds":
        kind = ChargeFailureKind.INSUFFICIENT_FUNDS
    elif code == "processing_error":
        kind = ChargeFailureKind.PROCESSING_ERROR
    else:
        kind = ChargeFailureKind.DECLINED
    return ChargeFailure.of_kind(kind, decline_code, payment_intent_id)


def outcome_of_payment_intent(intent: Any) -> ChargeOutcome:
    """What a PaymentIntent's status says about the payment."""
    if intent.status == "succeeded":
        return ChargeSucceeded(intent.id)
    if intent.status == "requires_action":  # the emulator's answer where Stripe raises authentication_required
        return ChargeFailure.of_kind(ChargeFailureKind.AUTHENTICATION_REQUIRED, payment_intent_id=intent.id)
    error = getattr(intent, "last_payment_error", None)
    if intent.status == "requires_payment_method" and error:
        return failure_of_card_error(getattr(error, "code", None), getattr(error, "decline_code", None), intent.id)
    if intent.status in ("requires_payment_method", "canceled"):
        return ChargeFailure.of_kind(ChargeFailureKind.PROCESSING_ERROR, payment_intent_id=intent.id)
    return ChargeOutcomeUnknown(f"payment intent {intent.id} is {intent.status}")


class StripeGateway:
    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    async def ensure_customer(self, billing_account_id: str, email: str | None) -> str:
        params: dict[str, Any] = {"metadata": {"billing_account_id": billing_account_id}}
        if email:
            params["email"] = email
        try:
            customer = await self._call(
                self.client.v1.customers.create, params=params,
                options={"idempotency_key": f"customer-{billing_account_id}"},
            )
        except stripe.StripeError as error:
            log.warning("Stripe did not create the customer of %s: %s", billing_account_id, error)
            raise PaymentProviderUnavailable("The payment provider is unavailable; please try again.") from error
        return customer.id

    async def attach_card(self, customer_id: str, payment_method_id: str) -> CardDetails:
        try:
            method = await self._call(
                self.client.v1.payment_methods.attach, payment_method_id, params={"customer": customer_id}
            )
        except stripe.CardError as error:
            raise CardRefused(error.user_message or DECLINED_BY_DEFAULT) from error
        except stripe.InvalidRequestError as error:
            if error.http_status == 404 or error.code == "resource_missing":
                raise PaymentMethodNotFound(f"There is no payment method {payment_method_id}.") from error
            raise CardRefused("This card cannot be kept on file.") from error
        except stripe.StripeError as error:
            log.warning("Stripe did not attach %s: %s", payment_method_id, error)
            raise PaymentProviderUnavailable("The payment provider is unavailable; please try again.") from error
        if method.type != "card" or not getattr(method, "card", None):
            raise CardRefused("Only cards can be kept on file.")
        card = method.card
        return CardDetails(brand=card.brand, last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year)

    async def create_card_setup(self, customer_id: str) -> CardSetup:
        params: dict[str, Any] = {"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]}
        try:
            intent = await self._call(self.client.v1.setup_intents.create, params=params)
        except stripe.StripeError as error:
            log.warning("Stripe did not create a SetupIntent for %s: %s", customer_id, error)
            raise PaymentProviderUnavailable("The payment provider is unavailable; please try again.") from error
        return CardSetup(id=intent.id, client_secret=intent.client_secret)

    async def detach_card(self, payment_method_id: str) -> None:
        try:
            await self._call(self.client.v1.payment_methods.detach, payment_method_id)
        except stripe.InvalidRequestError as error:
            # Gone, or not attached any more: what detaching wants.
            log.info("detaching %s: %s; taking it as detached", payment_method_id, error)
        except stripe.StripeError as error:
            log.warning("Stripe did not detach %s: %s", payment_method_id, error)
            raise PaymentProviderUnavailable("The payment provider is unavailable; please try again.") from error

    async def charge(
        self, customer_id: str, payment_method_id: str, amount: int, currency: str,
        idempotency_key: str, metadata: Mapping[str, str],
    ) -> ChargeOutcome:
        params = {
            "amount": amount, "currency": currency.lower(), "customer": customer_id,
            "payment_method": payment_method_id, "off_session": True, "confirm": True, "metadata": dict(metadata),
        }
        # No automatic retries: a retried request that the emulator already executed would be a
        # second payment (it keeps no idempotency keys). An unheard outcome is resolved by
        # `find_charge` with the same key instead.
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key, "max_network_retries": 0}
        try:
            intent = await self._call(self.client.v1.payment_intents.create, params=params, options=options)
        except stripe.CardError as error:
            details = error.error
            intent = getattr(details, "payment_intent", None) if details else None
            return failure_of_card_error(
                error.code, details.decline_code if details else None, getattr(intent, "id", None)
            )
        except stripe.InvalidRequestError as error:
            log.error("Stripe refused the charge %s: %s", idempotency_key, error)
            return ChargeFailure.of_kind(ChargeFailureKind.PROCESSING_ERROR)
        except stripe.StripeError as error:  # no connection, 5xx, rate limit, a key in use...
            return ChargeOutcomeUnknown(f"{type(error).__name__}: {error}")
        return outcome_of_payment_intent(intent)

    async def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeOutcome | None:
        try:
            intent = await asyncio.to_thread(self._find_payment_intent, customer_id, idempotency_key)
        except stripe.StripeError as error:
            return ChargeOutcomeUnknown(f"{type(error).__name__}: {error}")
        return None if intent is None else outcome_of_payment_intent(intent)

    def _find_payment_intent(self, customer_id: str, idempotency_key: str) -> Any:
        try:
            intents = self.client.v1.payment_intents.list(params={"customer": customer_id, "limit": 100})
            candidates = intents.auto_paging_iter()
        except stripe.InvalidRequestError:
            # The emulator cannot filter payment intents by customer: read them all.
            intents = self.client.v1.payment_intents.list(params={"limit": 100})
            candidates = (intent for intent in intents.auto_paging_iter() if intent.customer == customer_id)
        for intent in candidates:
            metadata = getattr(intent, "metadata", None)
            if metadata and metadata.to_dict().get("idempotency_key") == idempotency_key:
                return intent
        return None

    @staticmethod
    async def _call(method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(method, *args, **kwargs)
