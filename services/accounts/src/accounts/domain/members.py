"""Adding, re-roling and removing members. Only owners manage members; there is always an owner."""

import uuid
from datetime import datetime

from accounts.domain.billing_accounts import BillingAccount, Member, Role, changed, ensure_active
from accounts.domain.errors import AlreadyMember, InvalidRequest, LastOwnerRequired, MemberNotFound
from accounts.domain.values import email_address


def invited_user_id(email: str) -> str:
    """A stable user id for someone invited by email who has no identity-provider id yet:
    `usr_` and the hex of the UUIDv5 of `mailto:<email>`. The same email always gets the same id."""
    return "usr_" + uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email.strip().lower()}").hex


def member_email(raw: str, field: str = "email", where: str = "body") -> str:
    try:
        return email_address(raw)
    except ValueError as error:
        raise InvalidRequest({field: str(error)}, where) from None


def member_role(raw: str, field: str = "role") -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidRequest({field: f"must be one of owner, admin, viewer, not {raw!r}"}) from None


def add_member(account: BillingAccount, email: str, role: Role, now: datetime) -> BillingAccount:
    ensure_active(account)
    if account.role_of(email) is not None:
        raise AlreadyMember(email)
    member = Member(email=email, role=role, user_id=invited_user_id(email))
    return changed(account, now, members=tuple(sorted((*account.members, member), key=lambda m: m.email)))


def change_role(account: BillingAccount, email: str, role: Role, now: datetime) -> BillingAccount:
    ensure_active(account)
    current = _member(account, email)
    if current.role is role:
        return account
    if current.role is Role.OWNER and len(account.owners) == 1:
        raise LastOwnerRequired()
    members = tuple(Member(m.email, role, m.user_id) if m.email == email else m for m in account.members)
    return changed(account, now, members=members)


def remove_member(account: BillingAccount, email: str, now: datetime) -> BillingAccount:
    ensure_active(account)
    current = _member(account, email)
    if current.role is Role.OWNER and len(account.owners) == 1:
        raise LastOwnerRequired()
    return changed(account, now, members=tuple(m for m in account.members if m.email != email))


def _member(account: BillingAccount, email: str) -> Member:
    found = next((m for m in account.members if m.email == email), None)
    if found is None:
        raise MemberNotFound(email)
    return found
