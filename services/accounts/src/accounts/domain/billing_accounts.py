"""A billing account, its members and their roles, and the rules for opening one."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from accounts.domain.errors import AccountsError, InvalidBillingAccount
from accounts.domain.ids import is_account_id

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
# Deliberately plain: one @, no spaces, a dot in the domain. The mailbox proves the rest.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")
CURRENCY_PATTERN = re.compile(r"^[A-Za-z]{3}$")


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    VIEWER = "viewer"

    def allows(self, least: "Role") -> bool:
        """Whether this role may do what `least` may (owner > admin > viewer)."""
        return _RANK[self] >= _RANK[least]


_RANK = {Role.VIEWER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DELETION_REQUESTED = "deletion_requested"
    CLOSED = "closed"


@dataclass(frozen=True)
class Member:
    """A person with access to an account, known by email.

    `user_id` is the identity provider's subject, known once the person has signed in (the
    creator always has one; someone invited by email does not yet).
    """

    email: str
    role: Role
    user_id: str | None = None


@dataclass(frozen=True)
class BillingAccount:
    """The account with everything its snapshot carries. `version` grows with every change."""

    id: str
    name: str
    currency: str
    status: AccountStatus
    billing_email: str
    members: tuple[Member, ...]
    version: int
    created_at: datetime
    updated_at: datetime

    def role_of(self, email: str) -> Role | None:
        email = email.strip().lower()
        return next((member.role for member in self.members if member.email == email), None)


@dataclass(frozen=True)
class AccountSummary:
    """A billing account as one of its members sees it: its details and their role."""

    id: str
    name: str
    currency: str
    status: AccountStatus
    billing_email: str
    role: Role
    created_at: datetime


def account_name(raw: str) -> str:
    """The display name, trimmed: 1 to 200 characters, no control characters."""
    name = raw.strip()
    if not name:
        raise ValueError("must not be blank")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"must be at most {NAME_MAX_LENGTH} characters (it has {len(name)})")
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise ValueError("must not contain control characters such as line breaks")
    return name


def currency_code(raw: str) -> str:
    """An ISO 4217 alphabetic code, three letters, returned in upper case ("eur" -> "EUR")."""
    code = raw.strip()
    if not CURRENCY_PATTERN.fullmatch(code):
        raise ValueError(f"must be a three-letter ISO 4217 currency code such as EUR or USD, not {raw!r}")
    return code.upper()


def email_address(raw: str) -> str:
    """An email address, trimmed and lower-cased."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise ValueError(f"must be an email address such as billing@example.com, not {raw!r}")
    return email


def open_billing_account(
    account_id: str, *, name: str, currency: str, billing_email: str, owner: Member, now: datetime
) -> BillingAccount:
    """A new active account at version 1 whose only member is `owner`, in the owner role.

    Every bad field is reported at once in `InvalidBillingAccount.problems`.
    """
    if not is_account_id(account_id):
        raise AccountsError(f"{account_id!r} is not a billing account id")
    if now.tzinfo is None:
        raise AccountsError("account times must be timezone-aware")
    checks = {
        "name": (account_name, name),
        "currency": (currency_code, currency),
        "billing_email": (email_address, billing_email),
    }
    valid: dict[str, str] = {}
    problems: dict[str, str] = {}
    for field, (rule, value) in checks.items():
        try:
            valid[field] = rule(value)
        except ValueError as error:
            problems[field] = str(error)
    if problems:
        raise InvalidBillingAccount(problems)
    # The owner's email comes from a verified token, not from the form: normalised, not judged.
    creator = Member(email=owner.email.strip().lower(), role=Role.OWNER, user_id=owner.user_id)
    return BillingAccount(
        id=account_id,
        name=valid["name"],
        currency=valid["currency"],
        status=AccountStatus.ACTIVE,
        billing_email=valid["billing_email"],
        members=(creator,),
        version=1,
        created_at=now,
        updated_at=now,
    )
