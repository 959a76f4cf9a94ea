"""The "authentication required" email: the bank wants the customer to confirm a charge."""

from billing_contracts import ChargeFailedV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.action_required import next_attempt
from notifications.domain.emails.rendering import (
    EmailTemplate, authenticate_link, invoice_link, payment_methods_link,
)
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount

TEMPLATE = EmailTemplate(
    subject="Action required: confirm the payment for invoice $number",
    text="""
Hello $name,

Your bank needs you to confirm the payment of $amount for invoice $number (authentication needed).
Until you do, the payment cannot go through.

Confirm the payment: $authenticate_url

You can also pay invoice $number another way: $invoice_url
or update your card: $cards_url

$next_attempt
""",
    html="""
<p>Hello $name,</p>
<p>Your bank needs you to confirm the payment of <strong>$amount</strong> for invoice <strong>$number</strong>
(authentication needed). Until you do, the payment cannot go through.</p>
<p><a href="$authenticate_url">Confirm the payment</a></p>
<p>You can also <a href="$invoice_url">pay invoice $number another way</a>
or <a href="$cards_url">update your card</a>.</p>
<p>$next_attempt</p>
""",
)


def compose_authentication_required(
    charge: ChargeFailedV1, contact: Contact, dashboard_base_url: str
) -> list[OutgoingEmail]:
    return TEMPLATE.render(contact.recipients(), {
        "name": contact.name,
        "number": charge.invoice_number,
        "amount": format_amount(charge.amount, charge.currency),
        "authenticate_url": authenticate_link(dashboard_base_url, charge.billing_account_id, charge.invoice_id),
        "invoice_url": invoice_link(dashboard_base_url, charge.billing_account_id, charge.invoice_id),
        "cards_url": payment_methods_link(dashboard_base_url, charge.billing_account_id),
        "next_attempt": next_attempt(charge),
    })
