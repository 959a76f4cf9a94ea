"""Kafka subscribers of the payments service (consumer group "payments")."""

from billing_runtime.messaging.subscriptions import EventSubscriptions


def subscribe(events: EventSubscriptions) -> None:
    """Register the service's event handlers (each a thin call into a use case)."""
