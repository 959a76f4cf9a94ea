"""Who an invoice is addressed to: the account's billing details as they were when it was issued.

The details are copied onto the invoice at finalization, so changing them later (a move, a new
legal name) never rewrites an invoice already issued. An account that never set its details is
invoiced to its name and billing emails, with no address.
"""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class BilledTo:
    legal_name: str
    billing_emails: tuple[str, ...]
    address: PostalAddress | None = None
    tax_id: str | None = None

    def printed(self) -> list[str]:
        """The "Bill to" block, line by line, as an invoice prints it."""
        lines = [self.legal_name]
        if self.address:
            a = self.address
            lines += [a.line1, *([a.line2] if a.line2 else []), f"{a.postal_code} {a.city}",
                      ", ".join(part for part in (a.region, a.country) if part)]
        if self.tax_id:
            lines.append(f"Tax id: {self.tax_id}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "billing_emails": list(self.billing_emails)}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "BilledTo":
        address = stored.get("address")
        return cls(
            legal_name=stored["legal_name"], billing_emails=tuple(stored.get("billing_emails", ())),
            address=PostalAddress(**address) if address else None, tax_id=stored.get("tax_id"),
        )
