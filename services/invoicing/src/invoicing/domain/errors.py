"""What can go wrong in invoicing's rules, as a hierarchy callers can catch by kind."""


class InvoicingError(Exception):
    """Base of every rule invoicing refuses to break."""


class UnknownMeter(InvoicingError):
    """Usage or a price for a meter the price book does not know."""

    # Read by the consumer kit: usage for an unknown meter is dead-lettered at once.
    retryable = False
    reason = "unknown_meter"

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


class InvalidPriceBook(InvoicingError, ValueError):
    """A meter or price the price book refuses: overlapping tiers, an unknown currency, a
    price without a meter... The message says what is wrong, for a 422."""


class PriceWithoutMeter(InvalidPriceBook):
    def __init__(self, meter: str) -> None:
        super().__init__(f"a price for meter {meter!r}, which the price book does not have")
        self.meter = meter


class DuplicateEntry(InvoicingError):
    """A meter code, or a price for a (meter, currency, effective_from), that exists already."""


class InvalidUsage(InvoicingError):
    """Usage that can never be counted as it is: it is dead-lettered with this message."""

    retryable = False
    reason = "invalid_usage"


class UsageFromTheFuture(InvalidUsage):
    def __init__(self, occurred_at: object, latest: object) -> None:
        super().__init__(f"usage occurred at {occurred_at}, after the latest accepted time {latest}")


class UsageTooOld(InvalidUsage):
    reason = "usage_too_old"

    def __init__(self, occurred_at: object, earliest: object) -> None:
        super().__init__(f"usage occurred at {occurred_at}, before the earliest accepted time {earliest}: older than the "
                         "window in which its event id is remembered, so a second copy could no longer be recognized")


class MissingUsageProperty(InvalidUsage):
    def __init__(self, meter: str, name: str) -> None:
        super().__init__(f"meter {meter!r} counts unique values of the property {name!r}, which the usage lacks")


class InvoiceAlreadyPaid(InvoicingError):
    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"invoice {invoice_id} is paid and cannot be voided")
        self.invoice_id = invoice_id


class NotAllowed(InvoicingError):
    """The caller may see the invoice but not do this to it (for a 403)."""
