"""Invoices and their lines in the database, as domain `Invoice`s."""

from datetime import UTC, datetime

from sqlalchemy import Row, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.adapters.tables import INVOICE_LINES, INVOICE_NUMBERS, INVOICES
from invoicing.domain.invoices import Invoice, InvoiceLine, InvoiceStatus
from invoicing.domain.periods import BillingPeriod


async def next_number_in_sequence(tx: AsyncConnection) -> int:
    return int(await tx.scalar(INVOICE_NUMBERS.next_value()))


async def add_invoice(tx: AsyncConnection, invoice: Invoice) -> bool:
    """Store the invoice and its lines; False (and nothing stored) if the account already has
    an invoice for the period."""
    stored = await tx.execute(
        upsert(INVOICES)
        .values(
            id=invoice.id, number=invoice.number, billing_account_id=invoice.billing_account_id,
            period_start=invoice.period.start, period_end=invoice.period.end, currency=invoice.currency,
            amount_due=invoice.amount_due, status=invoice.status.value, finalized_at=invoice.finalized_at,
            due_at=invoice.due_at, paid_at=invoice.paid_at,
        )
        .on_conflict_do_nothing(index_elements=["billing_account_id", "period_start"])
        .returning(INVOICES.c.id)
    )
    if stored.first() is None:
        return False
    if invoice.lines:
        await tx.execute(
            insert(INVOICE_LINES),
            [{"invoice_id": invoice.id, "project_id": line.project_id, "meter": line.meter, "quantity": line.quantity,
              "unit_price": line.unit_price, "amount": line.amount} for line in invoice.lines],
        )
    return True


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
        .order_by(INVOICE_LINES.c.project_id, INVOICE_LINES.c.meter)
    )
    return _invoice(row, tuple(InvoiceLine(l.project_id, l.meter, l.quantity, l.unit_price, l.amount) for l in lines))


async def invoices_of_account(
    connection: AsyncConnection, billing_account_id: str, status: InvoiceStatus | None = None
) -> list[Invoice]:
    """The account's invoices, newest period first (without their lines)."""
    query = select(INVOICES).where(INVOICES.c.billing_account_id == billing_account_id)
    if status is not None:
        query = query.where(INVOICES.c.status == status.value)
    rows = await connection.execute(query.order_by(INVOICES.c.period_start.desc(), INVOICES.c.number.desc()))
    return [_invoice(row) for row in rows]


def _invoice(row: Row, lines: tuple[InvoiceLine, ...] = ()) -> Invoice:
    return Invoice(
        id=row.id, number=row.number, billing_account_id=row.billing_account_id,
        period=BillingPeriod(row.period_start), currency=row.currency, amount_due=row.amount_due,
        status=InvoiceStatus(row.status), finalized_at=_utc(row.finalized_at), due_at=_utc(row.due_at),
        paid_at=_utc(row.paid_at), lines=lines,
    )


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant else None


CLOSING_LOCKS = 4_201
"""Advisory-lock namespace of period closing (the second key is the period's month number)."""


async def lock_period_for_closing(tx: AsyncConnection, period: BillingPeriod) -> None:
    """Wait until no other transaction is closing the same period, and hold it until this one ends."""
    month_number = period.start.year * 12 + period.start.month - 1
    await tx.execute(text("SELECT pg_advisory_xact_lock(:namespace, :month)"), {"namespace": CLOSING_LOCKS, "month": month_number})
