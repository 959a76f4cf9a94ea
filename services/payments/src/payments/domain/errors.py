"""Why payments refuses a request, as a typed hierarchy the entrypoints map to HTTP answers."""


class PaymentsError(Exception):
    """A request payments cannot carry out; the message is safe to show the customer."""


class CardRefused(PaymentsError):
    """The payment provider would not keep the card on file (declined, expired, not a card)."""


class PaymentMethodNotFound(PaymentsError):
    """The payment provider knows no such payment method."""


class PaymentProviderUnavailable(PaymentsError):
    """The payment provider did not answer; nothing was changed, the request may be retried."""


class ChargeStateError(PaymentsError):
    """A charge was asked to move in a way its current state does not allow (a bug, not input)."""


class PaymentMethodIsPrimary(PaymentsError):
    """The primary card cannot be removed; another card must be made primary first."""


class ChargeNotFound(PaymentsError):
    """Payments knows no charge of the invoice (it was never finalized, or is another's)."""


class InvoiceNotPayable(PaymentsError):
    """The invoice is paid or voided: nothing is owed on it."""


class PaymentInProgress(PaymentsError):
    """An attempt to charge the invoice is in flight; its outcome will be known shortly."""


class WebhookRejected(PaymentsError):
    """A webhook whose signature does not match, or whose timestamp is outside the tolerance."""
