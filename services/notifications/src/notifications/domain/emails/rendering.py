"""Rendering an email kind's `string.Template`s: the text as is, the HTML with every value
escaped, the subject on one line; plus the dashboard links and how times are written."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from string import Template
from urllib.parse import quote

from notifications.domain.mail import OutgoingEmail

_HTML_PAGE = Template("<!DOCTYPE html>\n<html><body>\n$body\n<p>The Billing team</p>\n</body></html>\n")
_TEXT_PAGE = Template("$body\n\nThe Billing team\n")


@dataclass(frozen=True)
class EmailTemplate:
    """One kind of email: subject, plain text and HTML, each a `string.Template` whose
    placeholders are filled with text values (never markup: the HTML gets them escaped)."""

    subject: str
    text: str
    html: str

    def render(self, recipients: Iterable[str], values: Mapping[str, str]) -> list[OutgoingEmail]:
        subject = one_line(Template(self.subject).substitute(values))
        text = _TEXT_PAGE.substitute(body=Template(self.text).substitute(values).strip("\n"))
        escaped = {name: escape(value, quote=True) for name, value in values.items()}
        html = _HTML_PAGE.substitute(body=Template(self.html).substitute(escaped).strip("\n"))
        return [OutgoingEmail(recipient, subject, text, html) for recipient in recipients]


def account_link(dashboard_base_url: str, billing_account_id: str, *path: str) -> str:
    """`{DASHBOARD_BASE_URL}/billing-accounts/{id}/...`, every id URL-encoded."""
    parts = [dashboard_base_url.rstrip("/"), "billing-accounts", quote(billing_account_id, safe=""),
             *(quote(part, safe="") for part in path)]
    return "/".join(parts)


def invoice_link(dashboard_base_url: str, billing_account_id: str, invoice_id: str) -> str:
    """Where the customer sees and pays the invoice."""
    return account_link(dashboard_base_url, billing_account_id, "invoices", invoice_id)


def authenticate_link(dashboard_base_url: str, billing_account_id: str, invoice_id: str) -> str:
    """Where the customer confirms a payment their bank wants authenticated."""
    return account_link(dashboard_base_url, billing_account_id, "invoices", invoice_id, "authenticate")


def payment_methods_link(dashboard_base_url: str, billing_account_id: str) -> str:
    return account_link(dashboard_base_url, billing_account_id, "payment-methods")


def when(at: datetime) -> str:
    """`2026-12-04 00:00 UTC`: date and time, always in UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def one_line(text: str) -> str:
    """A value fit for a mail header: line breaks and other control characters become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
