"""What members of a billing account may read of its invoices, the open period's drafts included."""

from billing_runtime.access import role_of
from billing_runtime.clock import Clock, SystemClock
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters import invoice_store
from invoicing.domain.drafts import parse_draft_id
from invoicing.domain.errors import InvoiceNotFound
from invoicing.domain.invoices import Invoice, InvoiceCategory, InvoiceStatus, statuses_wanted
from invoicing.use_cases.draft_invoices import open_period_drafts


async def account_invoices(
    connection: AsyncConnection, billing_account_id: str, status: InvoiceStatus | None = None,
    category: InvoiceCategory | None = None, project_id: str | None = None, clock: Clock | None = None,
) -> list[tuple[Invoice, int | None]]:
    """The account's invoices, newest period first (the open period's drafts before all), filtered
    by category, status and project (with that project's subtotal on each); the caller has
    checked membership."""
    statuses = statuses_wanted(category, status)
    listed = []
    if statuses is None or InvoiceStatus.DRAFT in statuses:
        for draft in await open_period_drafts(connection, billing_account_id, clock or SystemClock()):
            of_project = [line.amount for line in draft.lines if line.project_id == project_id]
            if project_id is None:
                listed.append((draft, None))
            elif of_project or draft.project_id == project_id:
                listed.append((draft, sum(of_project)))
    return listed + await invoice_store.invoices_of_account(connection, billing_account_id, statuses, project_id)


async def invoice_for_member(
    connection: AsyncConnection, invoice_id: str, email: str, operator: bool = False, clock: Clock | None = None,
) -> Invoice:
    """The invoice with its lines; `InvoiceNotFound` as well when `email` is not a member of its
    account (nor an operator, when `operator` says operators may), so another tenant's invoice
    ids are not confirmed to exist. A draft's id reads the draft as it is now."""
    drafted = parse_draft_id(invoice_id)
    if drafted is not None:
        # The id names its account: a stranger is refused before its month is priced for nothing.
        if not operator and await role_of(connection, drafted[0], email) is None:
            raise InvoiceNotFound(invoice_id)
        drafts = await open_period_drafts(connection, drafted[0], clock or SystemClock())
        invoice = next((draft for draft in drafts if draft.id == invoice_id), None)
    else:
        invoice = await invoice_store.find_invoice(connection, invoice_id)
    if invoice is None or (not operator and await role_of(connection, invoice.billing_account_id, email) is None):
        raise InvoiceNotFound(invoice_id)
    return invoice
