"""The emails the service writes, one module (with its templates) per kind, and which event
becomes which kind."""

from billing_contracts import ChargeFailedV1, Event, InvoiceFinalizedV1, InvoiceNotPaidV1, InvoicePaidV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.action_required import compose_action_required
from notifications.domain.emails.authentication_required import compose_authentication_required
from notifications.domain.emails.final_notice import compose_final_notice
from notifications.domain.emails.invoice_available import compose_invoice_available
from notifications.domain.emails.receipt import compose_receipt
from notifications.domain.failure_reasons import needs_authentication
from notifications.domain.mail import EmailKind, OutgoingEmail


def kind_for(event: Event) -> EmailKind:
    """The email an event becomes. A final `charge.failed` is still an action-required email
    (it says there is no further attempt); the final notice comes only from `invoice.not_paid`."""
    if isinstance(event, ChargeFailedV1):
        if needs_authentication(event.failure_kind, event.decline_code):
            return EmailKind.AUTHENTICATION_REQUIRED
        return EmailKind.ACTION_REQUIRED
    if isinstance(event, InvoiceNotPaidV1):
        return EmailKind.FINAL_NOTICE
    if isinstance(event, InvoicePaidV1):
        return EmailKind.RECEIPT
    if isinstance(event, InvoiceFinalizedV1):
        return EmailKind.INVOICE_AVAILABLE
    raise TypeError(f"notifications writes no email for {type(event).__name__}")


def compose(event: Event, contact: Contact, dashboard_base_url: str) -> list[OutgoingEmail]:
    """The event's email, one per recipient of the account; none when it has no recipient."""
    kind = kind_for(event)
    if kind is EmailKind.AUTHENTICATION_REQUIRED:
        return compose_authentication_required(event, contact, dashboard_base_url)  # type: ignore[arg-type]
    if kind is EmailKind.ACTION_REQUIRED:
        return compose_action_required(event, contact, dashboard_base_url)  # type: ignore[arg-type]
    if kind is EmailKind.FINAL_NOTICE:
        return compose_final_notice(event, contact, dashboard_base_url)  # type: ignore[arg-type]
    if kind is EmailKind.RECEIPT:
        return compose_receipt(event, contact, dashboard_base_url)  # type: ignore[arg-type]
    return compose_invoice_available(event, contact, dashboard_base_url)  # type: ignore[arg-type]


def describe(event: Event) -> str:
    """A line naming what the event was about, for a log entry of an email never written."""
    number = getattr(event, "invoice_number", None)
    return f"{kind_for(event).value.replace('_', ' ')} for invoice {number}" if number else kind_for(event).value
