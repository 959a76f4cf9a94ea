"""The "action required" email: a charge of an invoice failed and the customer must act."""

from billing_contracts import ChargeFailedV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.rendering import EmailTemplate, invoice_link, payment_methods_link, when
from notifications.domain.failure_reasons import plain_reason, what_to_do
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount

TEMPLATE = EmailTemplate(
    subject="Action required: payment for invoice $number failed",
    text="""
Hello $name,

We could not collect the payment of $amount for invoice $number.
Reason: $reason

What to do: $what_to_do
- Update your card: $cards_url
- Pay invoice $number by hand: $invoice_url

$next_attempt
""",
    html="""
<p>Hello $name,</p>
<p>We could not collect the payment of <strong>$amount</strong> for invoice <strong>$number</strong>.</p>
<p>Reason: $reason</p>
<p>What to do: $what_to_do</p>
<ul>
<li><a href="$cards_url">Update your card</a></li>
<li><a href="$invoice_url">Pay invoice $number by hand</a></li>
</ul>
<p>$next_attempt</p>
""",
)


def compose_action_required(charge: ChargeFailedV1, contact: Contact, dashboard_base_url: str) -> list[OutgoingEmail]:
    """One email per recipient of the account (see `Contact.recipients`); none if it has none."""
    return TEMPLATE.render(contact.recipients(), {
        "name": contact.name,
        "number": charge.invoice_number,
        "amount": format_amount(charge.amount, charge.currency),
        "reason": plain_reason(charge.failure_kind, charge.decline_code),
        "what_to_do": what_to_do(charge.failure_kind),
        "cards_url": payment_methods_link(dashboard_base_url, charge.billing_account_id),
        "invoice_url": invoice_link(dashboard_base_url, charge.billing_account_id, charge.invoice_id),
        "next_attempt": next_attempt(charge),
    })


def next_attempt(charge: ChargeFailedV1) -> str:
    if charge.next_retry_at is not None:
        return f"We will try to charge your card again on {when(charge.next_retry_at)}."
    if charge.final:
        return "We will not try again automatically: the invoice stays payable by hand."
    return "We will not retry automatically until you update your card."
