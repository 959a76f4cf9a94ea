"""An email as it leaves the service, and the port it leaves through."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class EmailKind(StrEnum):
    ACTION_REQUIRED = "action_required"
    """A charge failed: the customer must update the card or pay the invoice by hand."""
    AUTHENTICATION_REQUIRED = "authentication_required"
    """A charge needs the customer to confirm it with their bank (3-D Secure)."""
    FINAL_NOTICE = "final_notice"
    """Collection gave up (`invoice.not_paid`): the invoice stays unpaid until paid by hand."""
    RECEIPT = "receipt"
    """An invoice was paid; optional per account."""
    INVOICE_AVAILABLE = "invoice_available"
    """An invoice was finalized; optional per account."""


class EmailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class OutgoingEmail:
    recipient: str
    subject: str
    body_text: str
    body_html: str
    reference: str | None = None
    """Stable per email (its id in the email log): every attempt carries the same Message-ID,
    so a mail system can recognise a resend after a crash between sending and recording it."""


class Mailer(Protocol):
    """Hands one email to the mail system.

    Returns once the mail server has accepted it. Raises `TemporaryMailFailure` when trying
    again later may work (server away, 4xx) and `PermanentMailFailure` when it will not (5xx
    for the recipient or the message).
    """

    async def send(self, message: OutgoingEmail) -> None: ...
