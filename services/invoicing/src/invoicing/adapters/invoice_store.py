"""Invoices and their lines in the database, as domain `Invoice`s."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import Row, and_, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import INVOICE_LINES, INVOICE_NUMBERS, INVOICES
from invoicing.domain.billed_to import BilledTo
from invoicing.domain.invoices import Invoice, InvoiceLine, InvoiceStatus
from invoicing.domain.periods import BillingPeriod


async def next_numbers_in_sequence(tx: AsyncConnection, count: int) -> list[int]:
    """`count` numbers of the invoice sequence, ascending, in one round trip."""
    if count == 0:
        return []
    numbers = await tx.execute(select(INVOICE_NUMBERS.next_value()).select_from(func.generate_series(1, count)))
    return sorted(int(n) for n in numbers.scalars())


async def invoiced_for(connection: AsyncConnection, billing_account_id: str, period_start: datetime) -> bool:
    """Whether the account has an invoice for the period already."""
    query = select(exists().where(INVOICES.c.billing_account_id == billing_account_id, INVOICES.c.period_start == period_start))
    return bool(await connection.scalar(query))


_STORE_NEW_INVOICE = (upsert(INVOICES).on_conflict_do_nothing(constraint="invoices_one_per_account_period_project")
                      .returning(INVOICES.c.id))


async def add_invoices(tx: AsyncConnection, invoices: Sequence[Invoice]) -> set[str]:
    """Store the invoices and their lines; the ids of those stored. An invoice whose account
    already has one for the period (and project) is not stored, nor are its lines."""
    if not invoices:
        return set()
    # executemany with RETURNING: SQLAlchemy sends pages of rows per statement, compiled once.
    rows = await tx.execute(_STORE_NEW_INVOICE, [{
        "id": i.id, "number": i.number, "billing_account_id": i.billing_account_id, "project_id": i.project_id,
        "period_start": i.period.start, "period_end": i.period.end, "currency": i.currency, "amount_due": i.amount_due,
        "status": i.status.value, "finalized_at": i.finalized_at, "due_at": i.due_at, "paid_at": i.paid_at,
        "billed_to": i.billed_to.to_json() if i.billed_to else None,
    } for i in invoices])
    stored = set(rows.scalars())
    lines = [
        {"invoice_id": invoice.id, "project_id": line.project_id, "meter": line.meter,
         "usage_period_start": line.usage_period.start, "quantity": line.quantity, "unit_price": line.unit_price,
         "price_model": line.price_model, "price_terms": line.price_terms, "amount": line.amount, "event_count": line.events}
        for invoice in invoices if invoice.id in stored for line in invoice.lines
    ]
    if lines:
        await tx.execute(insert(INVOICE_LINES), lines)  # executemany: SQLAlchemy sends them in pages of rows
    return stored


async def invoice_for_update(tx: AsyncConnection, invoice_id: str) -> Invoice | None:
    """The invoice, locked until the transaction ends (so two status events apply one after the other)."""
    row = (await tx.execute(select(INVOICES).where(INVOICES.c.id == invoice_id).with_for_update())).first()
    return _invoice(row) if row else None


async def change_status(tx: AsyncConnection, invoice_id: str, status: InvoiceStatus, paid_at: datetime | None = None) -> None:
    values: dict[str, object] = {"status": status.value}
    if paid_at is not None:
        values["paid_at"] = paid_at
    await tx.execute(update(INVOICES).where(INVOICES.c.id == invoice_id).values(**values))


async def find_invoice(connection: AsyncConnection, invoice_id: str) -> Invoice | None:
    """The invoice with its lines."""
    row = (await connection.execute(select(INVOICES).where(INVOICES.c.id == invoice_id))).first()
    if row is None:
        return None
    lines = await connection.execute(
        select(INVOICE_LINES)
        .where(INVOICE_LINES.c.invoice_id == invoice_id)
        .order_by(INVOICE_LINES.c.project_id, INVOICE_LINES.c.meter, INVOICE_LINES.c.usage_period_start)
    )
    return _invoice(row, tuple(
        InvoiceLine(l.project_id, l.meter, BillingPeriod(l.usage_period_start), l.quantity, l.unit_price, l.price_model,
                    l.price_terms, l.amount, l.event_count) for l in lines))


async def invoices_of_account(
    connection: AsyncConnection, billing_account_id: str, statuses: Collection[InvoiceStatus] | None = None,
    project_id: str | None = None,
) -> list[tuple[Invoice, int | None]]:
    """The account's invoices, newest period first (without their lines), each with the subtotal
    of `project_id`'s lines when a project is asked for (then only invoices billing it)."""
    subtotal = None
    query = select(INVOICES).where(INVOICES.c.billing_account_id == billing_account_id)
    if statuses is not None:
        query = query.where(INVOICES.c.status.in_([s.value for s in statuses]))
    if project_id is not None:
        of_project = and_(INVOICE_LINES.c.invoice_id == INVOICES.c.id, INVOICE_LINES.c.project_id == project_id)
        subtotal = select(func.coalesce(func.sum(INVOICE_LINES.c.amount), 0)).where(of_project).scalar_subquery()
        query = query.add_columns(subtotal.label("project_subtotal")).where(
            or_(INVOICES.c.project_id == project_id, exists().where(of_project)))
    rows = await connection.execute(query.order_by(INVOICES.c.period_start.desc(), INVOICES.c.number.desc()))
    return [(_invoice(row), None if subtotal is None else int(row.project_subtotal)) for row in rows]


def _invoice(row: Row, lines: tuple[InvoiceLine, ...] = ()) -> Invoice:
    return Invoice(
        id=row.id, number=row.number, billing_account_id=row.billing_account_id,
        period=BillingPeriod(row.period_start), currency=row.currency, amount_due=row.amount_due,
        status=InvoiceStatus(row.status), finalized_at=_utc(row.finalized_at), due_at=_utc(row.due_at),
        paid_at=_utc(row.paid_at), lines=lines, project_id=row.project_id,
        billed_to=BilledTo.from_json(row.billed_to) if row.billed_to else None,
    )


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant else None


async def events_billed(connection: AsyncConnection, billing_account_id: str) -> dict[tuple[str, str, datetime], int]:
    """Usage events billed so far per (project, meter, usage period), over all the account's invoices."""
    query = (select(INVOICE_LINES.c.project_id, INVOICE_LINES.c.meter, INVOICE_LINES.c.usage_period_start,
                    func.sum(INVOICE_LINES.c.event_count).label("events"))
             .join(INVOICES, INVOICES.c.id == INVOICE_LINES.c.invoice_id)
             .where(INVOICES.c.billing_account_id == billing_account_id)
             .group_by(INVOICE_LINES.c.project_id, INVOICE_LINES.c.meter, INVOICE_LINES.c.usage_period_start))
    return {(r.project_id, r.meter, _utc(r.usage_period_start)): int(r.events) for r in await connection.execute(query)}
