"""A billing account, its members and their roles, and the rules for opening and changing it.

Every change returns a new `BillingAccount` whose version is one more: the version of the
snapshot that announces it.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from accounts.domain.billing_details import BillingDetails
from accounts.domain.errors import (
    AccountNotActive, AccountNotFound, AccountsError, InvalidBillingAccount, NoDeletionRequested, NotAllowed,
)
from accounts.domain.ids import is_account_id
from accounts.domain.values import account_name, currency_code, email_address


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

    `user_id` is the identity provider's subject for people who signed in (the creator), or
    an id derived from the email for people invited by email (see `members.invited_user_id`).
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
    deletion_requested_at: datetime | None = None
    billing_details: BillingDetails | None = None

    def role_of(self, email: str) -> Role | None:
        email = email.strip().lower()
        return next((member.role for member in self.members if member.email == email), None)

    @property
    def billing_emails(self) -> tuple[str, ...]:
        """Where invoices go: the billing details' emails once given, else the one given at opening."""
        return self.billing_details.billing_emails if self.billing_details else (self.billing_email,)

    @property
    def owners(self) -> tuple[Member, ...]:
        return tuple(member for member in self.members if member.role is Role.OWNER)


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


def summary_for(account: BillingAccount, role: Role) -> AccountSummary:
    return AccountSummary(
        id=account.id, name=account.name, currency=account.currency, status=account.status,
        billing_email=account.billing_email, role=role, created_at=account.created_at,
    )


def require_role(account: BillingAccount | None, billing_account_id: str, email: str, least: Role) -> Role:
    """The caller's role if it is at least `least`.

    `AccountNotFound` when there is no account or the caller is not a member (the two look
    alike from outside), `NotAllowed` when the role is not enough.
    """
    role = account.role_of(email) if account else None
    if role is None:
        raise AccountNotFound(billing_account_id)
    if not role.allows(least):
        raise NotAllowed(f"this needs the {least} role on the billing account; you are {role}")
    return role


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


def changed(account: BillingAccount, now: datetime, **changes: object) -> BillingAccount:
    """The account with `changes`, one version later."""
    return replace(account, **changes, version=account.version + 1, updated_at=max(now, account.updated_at))


def ensure_active(account: BillingAccount) -> None:
    """Only an active account is changed by its members; one being deleted or closed is frozen."""
    if account.status is not AccountStatus.ACTIVE:
        raise AccountNotActive(account.id, account.status.value)


def rename(account: BillingAccount, name: str, now: datetime) -> BillingAccount:
    ensure_active(account)
    try:
        valid = account_name(name)
    except ValueError as error:
        raise InvalidBillingAccount({"name": str(error)}) from None
    return changed(account, now, name=valid)


def with_billing_details(account: BillingAccount, details: BillingDetails, now: datetime) -> BillingAccount:
    """The details replace the previous ones; the first billing email becomes the account's."""
    ensure_active(account)
    return changed(account, now, billing_details=details, billing_email=details.billing_emails[0])


def request_deletion(account: BillingAccount, now: datetime) -> BillingAccount:
    ensure_active(account)
    return changed(account, now, status=AccountStatus.DELETION_REQUESTED, deletion_requested_at=now)


def cancel_deletion(account: BillingAccount, now: datetime) -> BillingAccount:
    if account.status is not AccountStatus.DELETION_REQUESTED:
        raise NoDeletionRequested()
    return changed(account, now, status=AccountStatus.ACTIVE, deletion_requested_at=None)


def close(account: BillingAccount, now: datetime) -> BillingAccount:
    """Close an account whose deletion was requested (the caller checked nothing is owed)."""
    if account.status is not AccountStatus.DELETION_REQUESTED:
        raise NoDeletionRequested()
    return changed(account, now, status=AccountStatus.CLOSED)
