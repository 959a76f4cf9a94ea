"""The "action required" email: a charge of an invoice failed and the customer must act."""

from datetime import datetime
from html import escape
from urllib.parse import quote

from billing_contracts import ChargeFailedV1, ChargeFailureKind

from notifications.domain.contacts import Contact
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount


def invoice_link(dashboard_base_url: str, billing_account_id: str, invoice_id: str) -> str:
    base = dashboard_base_url.rstrip("/")
    return f"{base}/billing-accounts/{quote(billing_account_id, safe='')}/invoices/{quote(invoice_id, safe='')}"


def payment_methods_link(dashboard_base_url: str, billing_account_id: str) -> str:
    return f"{dashboard_base_url.rstrip('/')}/billing-accounts/{quote(billing_account_id, safe='')}/payment-methods"


def compose_action_required(charge: ChargeFailedV1, contact: Contact, dashboard_base_url: str) -> list[OutgoingEmail]:
    """One email per recipient of the account (see `Contact.recipients`); none if it has none."""
    amount = format_amount(charge.amount, charge.currency)
    number = _one_line(charge.invoice_number)
    invoice_url = invoice_link(dashboard_base_url, charge.billing_account_id, charge.invoice_id)
    cards_url = payment_methods_link(dashboard_base_url, charge.billing_account_id)
    subject = f"Action required: payment for invoice {number} failed"
    what_to_do = _what_to_do(charge.failure_kind)
    next_step = _next_attempt(charge)
    text = "\n".join([
        f"Hello {contact.name},",
        "",
        f"We could not collect the payment of {amount} for invoice {number}.",
        f"Reason: {charge.customer_message}",
        "",
        f"What to do: {what_to_do}",
        f"- Update your card: {cards_url}",
        f"- Pay invoice {number} by hand: {invoice_url}",
        "",
        next_step,
        "",
        "The Billing team",
    ])
    html = "\n".join([
        "<!DOCTYPE html>",
        "<html><body>",
        f"<p>Hello {escape(contact.name)},</p>",
        f"<p>We could not collect the payment of <strong>{escape(amount)}</strong> for invoice "
        f"<strong>{escape(number)}</strong>.</p>",
        f"<p>Reason: {escape(charge.customer_message)}</p>",
        f"<p>What to do: {escape(what_to_do)}</p>",
        "<ul>",
        f'<li><a href="{escape(cards_url)}">Update your card</a></li>',
        f'<li><a href="{escape(invoice_url)}">Pay invoice {escape(number)} by hand</a></li>',
        "</ul>",
        f"<p>{escape(next_step)}</p>",
        "<p>The Billing team</p>",
        "</body></html>",
    ])
    return [OutgoingEmail(recipient, subject, text, html) for recipient in contact.recipients()]


def _what_to_do(kind: ChargeFailureKind) -> str:
    if kind is ChargeFailureKind.AUTHENTICATION_REQUIRED:
        return "your bank asks you to confirm this payment: pay the invoice by hand to confirm it, or update your card."
    if kind is ChargeFailureKind.NO_PAYMENT_METHOD:
        return "add a card to your billing account, or pay the invoice by hand."
    return "update your card (or add another one), or pay the invoice by hand."


def _next_attempt(charge: ChargeFailedV1) -> str:
    if charge.next_retry_at is not None:
        return f"We will try to charge your card again on {_when(charge.next_retry_at)}."
    if charge.final:
        return "We will not try again automatically: the invoice stays payable by hand."
    return "We will not retry automatically until you update your card."


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: str) -> str:
    """A value fit for a mail header: line breaks and other control characters become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
