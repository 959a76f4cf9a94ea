"""Who hears about a billing account: the contact directory, replicated from account snapshots."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from billing_contracts import BillingAccountChangedV1

ROLES_TOLD_WITHOUT_BILLING_EMAIL = frozenset({"owner", "admin"})
"""Who is told when the account names no billing email; viewers never are."""

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def is_deliverable_address(address: str) -> bool:
    """A plain `local@domain.tld` address: no display name, no spaces or line breaks, no
    quoting, a domain with a dot. Anything else is never handed to the mail server."""
    local, _, _ = address.partition("@")
    return len(address) <= 254 and len(local) <= 64 and _ADDRESS.fullmatch(address) is not None


@dataclass(frozen=True)
class Member:
    email: str
    role: str


@dataclass(frozen=True)
class Contact:
    """A billing account as notifications knows it: its name, billing emails and members."""

    billing_account_id: str
    name: str
    billing_emails: tuple[str, ...]
    members: tuple[Member, ...]
    version: int

    @classmethod
    def from_snapshot(cls, snapshot: BillingAccountChangedV1) -> "Contact":
        return cls(
            billing_account_id=snapshot.billing_account_id,
            name=snapshot.name,
            billing_emails=tuple(snapshot.billing_emails),
            members=tuple(Member(m.email, m.role.value) for m in snapshot.members),
            version=snapshot.version,
        )

    def recipients(self) -> tuple[str, ...]:
        """Where payment emails go: the billing emails; when none is deliverable, the owners
        and admins. Lower-cased, each once, undeliverable addresses left out."""
        billing = _deliverable(self.billing_emails)
        if billing:
            return billing
        return _deliverable(m.email for m in self.members if m.role in ROLES_TOLD_WITHOUT_BILLING_EMAIL)


def _deliverable(addresses: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.lower() for a in addresses if is_deliverable_address(a)))
