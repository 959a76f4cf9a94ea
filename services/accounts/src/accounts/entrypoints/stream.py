"""Kafka subscribers of the accounts service (consumer group "accounts")."""

from billing_runtime.messaging.subscriptions import EventSubscriptions


def subscribe(events: EventSubscriptions) -> None:
    """Register the service's event handlers (each a thin call into a use case).

    Accounts consumes nothing yet: it is the source of `billing_account.changed` and owns the
    members, so it keeps no replica. The account's standing will come from payment-method and
    invoice status events (`payment_methods.changed`, `invoice.payment_due`, ...) registered here.
    """
