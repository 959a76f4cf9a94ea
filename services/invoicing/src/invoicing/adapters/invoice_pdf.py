"""The invoice as a PDF: one A4 page (more when the lines need it), Helvetica, uncompressed.

Written by hand (the PDF 1.4 objects are few): no dependency, and the text stays searchable in
the content stream. Text is Latin-1; other characters print as "?".
"""

from decimal import Decimal

from invoicing.domain.invoices import Invoice
from invoicing.domain.money import minor_unit_exponent

PAGE_WIDTH, PAGE_HEIGHT, MARGIN, LEADING = 595, 842, 50, 14
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def money(amount: int, currency: str) -> str:
    """Minor units as the customer reads them: 1234 USD → "12.34 USD", 628 JPY → "628 JPY"."""
    return f"{Decimal(amount).scaleb(-minor_unit_exponent(currency)):f} {currency}"


def invoice_text(invoice: Invoice) -> list[str]:
    """What the PDF says, line by line."""
    text = [
        f"Invoice {invoice.number}",
        "",
        f"Billing account: {invoice.billing_account_id}" + (f"   Project: {invoice.project_id}" if invoice.project_id else ""),
        f"Period: {invoice.period.start:%Y-%m-%d} to {invoice.period.end:%Y-%m-%d} (UTC, end exclusive)",
        f"Issued: {invoice.finalized_at:%Y-%m-%d}" if invoice.finalized_at else "Issued: not yet",
        f"Due: {invoice.due_at:%Y-%m-%d}" if invoice.due_at else "Due: -",
        f"Status: {invoice.status.value}",
        "",
        *(["Bill to:", *(f"  {line}" for line in invoice.billed_to.printed()), ""] if invoice.billed_to else []),
        "Project / meter / usage period / quantity / price / amount",
    ]
    subtotals: dict[str, int] = {}
    for line in invoice.lines:
        text.append(f"{line.project_id}  {line.meter}  {line.usage_period.label}  {line.quantity:f}  {line.price_terms}  "
                    f"{money(line.amount, invoice.currency)}")
        subtotals[line.project_id] = subtotals.get(line.project_id, 0) + line.amount
    text.append("")
    text += [f"Subtotal {project}: {money(amount, invoice.currency)}" for project, amount in sorted(subtotals.items())]
    text.append(f"Total due: {money(invoice.amount_due, invoice.currency)}")
    return text


def _escape(line: str) -> bytes:
    raw = line.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def render_invoice_pdf(invoice: Invoice) -> bytes:
    lines = invoice_text(invoice)
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    page_ids = []
    for page in pages:
        stream = b"BT /F1 10 Tf %d TL %d %d Td\n" % (LEADING, MARGIN, PAGE_HEIGHT - MARGIN)
        stream += b"".join(b"(" + _escape(text) + b") Tj T*\n" for text in page) + b"ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, len(objects)))
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = b" ".join(b"%d 0 R" % n for n in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
