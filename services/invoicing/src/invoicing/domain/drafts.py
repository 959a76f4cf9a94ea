"""Draft invoices: the open period's invoices as they would be finalized now, shown as "upcoming".

A draft is not stored: it is priced from the usage counted so far whenever it is read, so it is
never stale and never needs cleaning up. Its id names what it is made of (account, month and,
for accounts invoiced per project, the project), so it can be read back like any invoice.
"""

from collections import defaultdict
from collections.abc import Iterable

from invoicing.domain.billed_to import BilledTo
from invoicing.domain.invoices import Invoice, InvoiceLine, InvoiceStatus
from invoicing.domain.money import invoice_total
from invoicing.domain.periods import BillingPeriod

DRAFT_PREFIX = "draft."
DRAFT_NUMBER = "DRAFT"
"""Drafts get their number when they are finalized."""


def split_by_project(lines: list[InvoiceLine], per_project: bool) -> dict[str | None, list[InvoiceLine]]:
    """The lines of each invoice: all on one (project None), or grouped by project.

    An account whose only usage was late but billed nothing more (a max that did not grow)
    still gets its invoice for the period, of zero, so the period is closed for it."""
    if not per_project:
        return {None: lines}
    by_project: dict[str | None, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_project[line.project_id].append(line)
    return dict(by_project) or {None: []}


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


def draft_invoices(
    *, billing_account_id: str, period: BillingPeriod, currency: str, lines: Iterable[InvoiceLine],
    per_project: bool, billed_to: BilledTo | None,
) -> list[Invoice]:
    return [
        Invoice(
            id=draft_id(billing_account_id, period, project), number=DRAFT_NUMBER, billing_account_id=billing_account_id,
            period=period, currency=currency, amount_due=invoice_total(line.amount for line in project_lines),
            status=InvoiceStatus.DRAFT, finalized_at=None, due_at=None, lines=tuple(project_lines),
            project_id=project, billed_to=billed_to,
        )
        for project, project_lines in split_by_project(list(lines), per_project).items()
    ]
