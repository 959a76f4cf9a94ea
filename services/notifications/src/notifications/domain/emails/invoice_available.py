"""The "invoice available" email: an invoice was finalized (`invoice.finalized`)."""

from datetime import timedelta

from billing_contracts import InvoiceFinalizedV1

from notifications.domain.contacts import Contact
from notifications.domain.emails.rendering import EmailTemplate, day, invoice_link
from notifications.domain.mail import OutgoingEmail
from notifications.domain.money import format_amount

TEMPLATE = EmailTemplate(
    subject="Invoice $number is available: $amount due $due_on",
    text="""
Hello $name,

Invoice $number for $period is available: $amount, due $due_on.
$how_paid

See the invoice: $invoice_url
""",
    html="""
<p>Hello $name,</p>
<p>Invoice <strong>$number</strong> for $period is available: <strong>$amount</strong>, due $due_on.</p>
<p>$how_paid</p>
<p><a href="$invoice_url">See the invoice</a></p>
""",
)


def compose_invoice_available(
    invoice: InvoiceFinalizedV1, contact: Contact, dashboard_base_url: str
) -> list[OutgoingEmail]:
    # The period is half-open: its last day is the one before `period_end`.
    period = f"{day(invoice.period_start)} to {day(invoice.period_end - timedelta(microseconds=1))}"
    if invoice.project_id:
        period = f"project {invoice.project_id}, {period}"
    how_paid = ("We will charge the card on file; there is nothing to do." if invoice.amount_due
                else "Nothing is owed on it.")
    return TEMPLATE.render(contact.recipients(), {
        "name": contact.name,
        "number": invoice.invoice_number,
        "amount": format_amount(invoice.amount_due, invoice.currency),
        "due_on": day(invoice.due_at),
        "period": period,
        "how_paid": how_paid,
        "invoice_url": invoice_link(dashboard_base_url, invoice.billing_account_id, invoice.invoice_id),
    })
