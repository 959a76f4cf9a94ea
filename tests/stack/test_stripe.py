"""A card charge through the services' own Stripe client, against the Stripe-compatible API."""

import pytest
import stripe
from billing_runtime.settings import ServiceSettings
from billing_runtime.stripe_client import create_stripe_client


@pytest.fixture
def client(stack) -> stripe.StripeClient:
    settings = ServiceSettings(stripe_api_key=stack.stripe_api_key, stripe_api_base=stack.stripe_api_base)
    return create_stripe_client(settings)


def _card_on_file(client: stripe.StripeClient, number: str) -> tuple[str, str]:
    """A customer with a card attached, as the browser would have done it with Stripe.js."""
    customer = client.v1.customers.create(params={"email": "owner@example.com"})
    card = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}}
    )
    client.v1.payment_methods.attach(card.id, params={"customer": customer.id})
    return customer.id, card.id


def _charge(client: stripe.StripeClient, customer: str, card: str, amount: int) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "customer": customer, "payment_method": card,
                "off_session": True, "confirm": True},
    )


def test_a_good_card_is_charged_the_exact_amount(client):
    customer, card = _card_on_file(client, "4242424242424242")
    intent = _charge(client, customer, card, 12_345)
    assert intent.status == "succeeded"
    assert intent.amount == 12_345
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_card_that_attaches_but_fails_when_charged_is_declined(client):
    customer, card = _card_on_file(client, "4000000000000341")
    with pytest.raises(stripe.CardError) as declined:
        _charge(client, customer, card, 5_000)
    assert declined.value.code == "card_declined"


def test_the_client_talks_to_the_configured_api_and_not_to_stripe(stack, monkeypatch):
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    settings = ServiceSettings(stripe_api_key=stack.stripe_api_key, stripe_api_base=stack.stripe_api_base)
    assert settings.stripe_endpoint == stack.stripe_api_base
    # A real test-mode key with no base address means Stripe itself.
    assert ServiceSettings(stripe_api_key="sk_test_realkey").stripe_endpoint is None
