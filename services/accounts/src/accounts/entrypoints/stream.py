"""Kafka subscribers of the accounts service (consumer group named after the service).

Accounts is the source of `billing_account.changed` and owns the members, so it keeps no
members replica. It keeps replicas of payment methods and invoice statuses, from which an
account's standing (may it deploy?) and its overview (card, balance) are read.
"""

from billing_runtime.messaging.subscriptions import EventSubscriptions

from accounts.use_cases.record_invoice_status import record_invoice_status
from accounts.use_cases.record_payment_methods import record_payment_methods


# Every invoice status event updates the same replica of invoice statuses.
INVOICE_STATUS_TOPICS = ("invoice.finalized", "invoice.payment_due", "invoice.not_paid", "invoice.paid", "invoice.voided")


def subscribe(events: EventSubscriptions) -> None:
    events.on("payment_methods.changed", batch=True)(record_payment_methods)
    for topic in INVOICE_STATUS_TOPICS:
        # One inbox name across the five topics is enough: event ids are unique everywhere.
        events.on(topic, batch=True)(record_invoice_status)
