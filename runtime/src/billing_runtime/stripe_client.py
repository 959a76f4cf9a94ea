"""The Stripe client each service uses: the emulator locally, Stripe itself with a real key."""

import stripe

from billing_runtime.settings import ServiceSettings


def create_stripe_client(settings: ServiceSettings) -> stripe.StripeClient:
    endpoint = settings.stripe_endpoint
    base_addresses = {"api": endpoint} if endpoint else {}
    return stripe.StripeClient(
        settings.stripe_api_key.get_secret_value(),
        base_addresses=base_addresses,
        max_network_retries=2,
    )
