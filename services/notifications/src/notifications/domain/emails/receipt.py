"""The receipt: an invoice was paid (`invoice.paid`)."""

from billing_contracts import InvoicePaidV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.rendering import EmailTemplate, invoice_link, when
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount

TEMPLATE = EmailTemplate(
    subject="Receipt: $amount paid for invoice $number",
    text="""
Hello $name,

Thank you: we received $amount for invoice $number on $paid_at. Nothing more is due on it.

See the invoice: $invoice_url
""",
    html="""
<p>Hello $name,</p>
<p>Thank you: we received <strong>$amount</strong> for invoice <strong>$number</strong> on $paid_at.
Nothing more is due on it.</p>
<p><a href="$invoice_url">See the invoice</a></p>
""",
)


def compose_receipt(invoice: InvoicePaidV1, contact: Contact, dashboard_base_url: str) -> list[OutgoingEmail]:
    return TEMPLATE.render(contact.recipients(), {
        "name": contact.name,
        "number": invoice.invoice_number,
        "amount": format_amount(invoice.amount, invoice.currency),
        "paid_at": when(invoice.paid_at),
        "invoice_url": invoice_link(dashboard_base_url, invoice.billing_account_id, invoice.invoice_id),
    })
