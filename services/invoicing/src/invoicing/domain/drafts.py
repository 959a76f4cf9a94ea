"""Draft invoices: the open period's invoices as they would be finalized now, shown as "upcoming".

A draft is not stored: it is priced from the usage counted so far whenever it is read, so it is
never stale and never needs cleaning up. Its id names what it is made of (account, month and,
for accounts invoiced per project, the project), so it can be read back like any invoice.
"""

from invoicing.domain.invoices import Invoice, InvoiceStatus, PricedInvoice
from invoicing.domain.money import invoice_total
from invoicing.domain.periods import BillingPeriod

DRAFT_PREFIX = "draft."
DRAFT_NUMBER = "DRAFT"
"""Drafts get their number when they are finalized."""


def draft_id(billing_account_id: str, period: BillingPeriod, project_id: str | None) -> str:
    # Account ids and month labels hold no dot; a project id may, so it goes last.
    return f"{DRAFT_PREFIX}{billing_account_id}.{period.label}" + (f".{project_id}" if project_id else "")


def parse_draft_id(invoice_id: str) -> tuple[str, str, str | None] | None:
    """(account, month label, project or None) of a draft id; None for any other id."""
    if not invoice_id.startswith(DRAFT_PREFIX):
        return None
    parts = invoice_id.removeprefix(DRAFT_PREFIX).split(".", 2)
    if len(parts) < 2 or not all(parts):
        return None
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def draft_invoice(priced: PricedInvoice, period: BillingPeriod) -> Invoice:
    return Invoice(
        id=draft_id(priced.billing_account_id, period, priced.project_id), number=DRAFT_NUMBER,
        billing_account_id=priced.billing_account_id, period=period, currency=priced.currency,
        amount_due=invoice_total(line.amount for line in priced.lines), status=InvoiceStatus.DRAFT, finalized_at=None,
        due_at=None, lines=priced.lines, project_id=priced.project_id, billed_to=priced.billed_to,
    )
