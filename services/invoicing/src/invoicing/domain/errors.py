"""What can go wrong in invoicing's rules, as a hierarchy callers can catch by kind."""


class InvoicingError(Exception):
    """Base of every rule invoicing refuses to break."""


class UnknownMeter(InvoicingError):
    """Usage or a price for a meter the price book does not know."""

    def __init__(self, meter: str) -> None:
        super().__init__(f"meter {meter!r} is not in the price book")
        self.meter = meter


class PriceMissing(InvoicingError):
    """The meter is known but has no price in the account's currency."""

    def __init__(self, meter: str, currency: str) -> None:
        super().__init__(f"meter {meter!r} has no price in {currency}")
        self.meter = meter
        self.currency = currency


class InvalidBillingPeriod(InvoicingError, ValueError):
    """Not a calendar month in UTC."""


class InvoiceNotFound(InvoicingError):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"invoice {invoice_id} not found")
        self.invoice_id = invoice_id


class InvalidInvoiceTransition(InvoicingError):
    """A status change the invoice lifecycle does not have (for example draft straight to paid)."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"an invoice cannot go from {current} to {wanted}")
        self.current = current
        self.wanted = wanted
