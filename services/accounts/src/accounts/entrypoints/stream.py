"""Kafka subscribers of the accounts service (consumer group "accounts")."""

from billing_runtime.messaging.subscriptions import EventSubscriptions


def subscribe(events: EventSubscriptions) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""
