"""Billing details: who is invoiced, where invoices go and the address printed on them.

They are the defaults for every invoice of the account. Required: legal name, at least one
billing email, address line 1, city, postal code, country. Optional: line 2, region, tax id.
"""

import re
from dataclasses import dataclass
from typing import Any

from accounts.domain.countries import country_code
from accounts.domain.errors import InvalidBillingDetails
from accounts.domain.values import email_address, text_line

MAX_BILLING_EMAILS = 10
TAX_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{1,49}$")


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    city: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2, upper case."""
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class BillingDetails:
    legal_name: str
    billing_emails: tuple[str, ...]
    address: PostalAddress
    tax_id: str | None = None


def _tax_id(raw: str) -> str:
    tax_id = raw.strip()
    if not TAX_ID_PATTERN.fullmatch(tax_id):
        raise ValueError("must be 2 to 50 letters, digits, spaces, dots, dashes or slashes, such as DE123456789")
    return tax_id


def _emails(raw: list[str]) -> tuple[str, ...]:
    if not raw:
        raise ValueError("must name at least one email address")
    if len(raw) > MAX_BILLING_EMAILS:
        raise ValueError(f"must name at most {MAX_BILLING_EMAILS} email addresses")
    return tuple(dict.fromkeys(email_address(email) for email in raw))


_REQUIRED: dict[str, Any] = {
    "legal_name": lambda v: text_line(v, 200),
    "billing_emails": _emails,
    "address.line1": lambda v: text_line(v, 200),
    "address.city": lambda v: text_line(v, 100),
    "address.postal_code": lambda v: text_line(v, 20),
    "address.country": country_code,
}
_OPTIONAL: dict[str, Any] = {
    "address.line2": lambda v: text_line(v, 200),
    "address.region": lambda v: text_line(v, 100),
    "tax_id": _tax_id,
}


def billing_details(given: dict[str, Any]) -> BillingDetails:
    """Validated details from flat fields named as in `_REQUIRED` ("address.city", ...).

    Every missing or bad field is reported at once in `InvalidBillingDetails.problems`.
    Optional fields that are absent, null or blank are left out.
    """
    valid: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, rule in (_REQUIRED | _OPTIONAL).items():
        value = given.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field in _REQUIRED:
                problems[field] = "is required"
            continue
        try:
            valid[field] = rule(value)
        except ValueError as error:
            problems[field] = str(error)
    if problems:
        raise InvalidBillingDetails(problems)
    return BillingDetails(
        legal_name=valid["legal_name"],
        billing_emails=valid["billing_emails"],
        address=PostalAddress(
            line1=valid["address.line1"],
            line2=valid.get("address.line2"),
            city=valid["address.city"],
            postal_code=valid["address.postal_code"],
            region=valid.get("address.region"),
            country=valid["address.country"],
        ),
        tax_id=valid.get("tax_id"),
    )
