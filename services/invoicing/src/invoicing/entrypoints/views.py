"""What invoicing's HTTP API answers with (kept apart from the domain's own types)."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from invoicing.domain.billed_to import BilledTo
from invoicing.domain.invoices import Invoice, InvoiceLine, InvoiceStatus


class AddressView(BaseModel):
    line1: str
    line2: str | None
    city: str
    postal_code: str
    region: str | None
    country: str = Field(description="ISO 3166-1 alpha-2.")


class BilledToView(BaseModel):
    """The account's billing details as they were when the invoice was finalized."""

    legal_name: str
    billing_emails: list[str]
    address: AddressView | None
    tax_id: str | None

    @classmethod
    def of(cls, billed_to: BilledTo | None) -> "BilledToView | None":
        return cls.model_validate(billed_to.to_json()) if billed_to else None


class InvoiceSummary(BaseModel):
    id: str
    number: str
    billing_account_id: str
    project_id: str | None = Field(description="The project invoiced, when the account is invoiced per project.")
    status: InvoiceStatus
    amount_due: int = Field(description="In minor units of `currency`.")
    currency: str
    period: str = Field(examples=["2026-11"])
    period_start: datetime
    period_end: datetime
    finalized_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None
    project_subtotal: int | None = Field(
        default=None, description="When the list is filtered by project: that project's lines, in minor units.")

    @classmethod
    def of(cls, invoice: Invoice, project_subtotal: int | None = None) -> "InvoiceSummary":
        return cls(
            id=invoice.id, number=invoice.number, billing_account_id=invoice.billing_account_id,
            project_id=invoice.project_id, status=invoice.status, amount_due=invoice.amount_due,
            currency=invoice.currency, period=invoice.period.label, period_start=invoice.period.start,
            period_end=invoice.period.end, finalized_at=invoice.finalized_at, due_at=invoice.due_at,
            paid_at=invoice.paid_at, project_subtotal=project_subtotal,
        )


class InvoiceLineView(BaseModel):
    project_id: str
    meter: str
    usage_period: str = Field(description="The month the usage happened in; an earlier one on a late-usage line.")
    quantity: Decimal
    unit_price: Decimal | None = Field(description="Price of one unit (major units) for per-unit prices; else null.")
    price_model: str
    price_terms: str = Field(description="The price as applied: per unit, tiers or package.")
    amount: int = Field(description="The rated quantity, rounded half-even to minor units.")
    late: bool = Field(description="Usage of an earlier period that arrived after that period was invoiced.")

    @classmethod
    def of(cls, line: InvoiceLine, invoice: Invoice) -> "InvoiceLineView":
        return cls(project_id=line.project_id, meter=line.meter, usage_period=line.usage_period.label,
                   quantity=line.quantity, unit_price=line.unit_price, price_model=line.price_model,
                   price_terms=line.price_terms, amount=line.amount, late=line.usage_period != invoice.period)


class ProjectSubtotal(BaseModel):
    project_id: str
    amount: int


class InvoiceView(InvoiceSummary):
    billed_to: BilledToView | None = Field(
        description="Who the invoice is addressed to: the billing details in force when it was finalized.")
    lines: list[InvoiceLineView]
    subtotals: list[ProjectSubtotal] = Field(description="Per project, in minor units; they add up to amount_due.")

    @classmethod
    def full(cls, invoice: Invoice) -> "InvoiceView":
        subtotals: dict[str, int] = {}
        for line in invoice.lines:
            subtotals[line.project_id] = subtotals.get(line.project_id, 0) + line.amount
        return cls(**InvoiceSummary.of(invoice).model_dump(), billed_to=BilledToView.of(invoice.billed_to), lines=[InvoiceLineView.of(l, invoice) for l in invoice.lines],
                   subtotals=[ProjectSubtotal(project_id=p, amount=a) for p, a in sorted(subtotals.items())])
