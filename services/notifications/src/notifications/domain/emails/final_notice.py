"""The final notice: collection gave up on an invoice (`invoice.not_paid`)."""

from billing_contracts import InvoiceNotPaidV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.rendering import EmailTemplate, invoice_link, payment_methods_link, when
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount

TEMPLATE = EmailTemplate(
    subject="Final notice: invoice $number for $amount is unpaid",
    text="""
Hello $name,

We could not collect $amount for invoice $number, and as of $not_paid_at we have stopped trying:
there will be no further automatic attempt.

Please pay invoice $number now: $invoice_url
To avoid this next time, update your card: $cards_url
""",
    html="""
<p>Hello $name,</p>
<p>We could not collect <strong>$amount</strong> for invoice <strong>$number</strong>, and as of $not_paid_at
we have stopped trying: there will be no further automatic attempt.</p>
<p><a href="$invoice_url">Please pay invoice $number now</a></p>
<p>To avoid this next time, <a href="$cards_url">update your card</a>.</p>
""",
)


def compose_final_notice(invoice: InvoiceNotPaidV1, contact: Contact, dashboard_base_url: str) -> list[OutgoingEmail]:
    return TEMPLATE.render(contact.recipients(), {
        "name": contact.name,
        "number": invoice.invoice_number,
        "amount": format_amount(invoice.amount, invoice.currency),
        "not_paid_at": when(invoice.not_paid_at),
        "invoice_url": invoice_link(dashboard_base_url, invoice.billing_account_id, invoice.invoice_id),
        "cards_url": payment_methods_link(dashboard_base_url, invoice.billing_account_id),
    })
