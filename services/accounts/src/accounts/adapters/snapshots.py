"""The account's snapshot on `billing_account.changed`, staged in the outbox.

Every use case that changes an account bumps its version and calls `publish_account_snapshot`
with the account as it now is, in the same transaction: the rows and the snapshot commit
together or not at all, and the relay publishes the snapshot keyed by the account id.
"""

from billing_contracts import (
    AccountMember,
    BillingAccountChangedV1,
    BillingAccountStatus,
    BillingAddress,
    MemberRole,
    new_envelope,
)
from billing_runtime.messaging.outbox import publish_events
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.domain.billing_accounts import BillingAccount, Member
from accounts.domain.members import invited_user_id

SOURCE = "/billing/accounts"


def account_snapshot(account: BillingAccount) -> BillingAccountChangedV1:
    # The billing details travel with the snapshot: invoicing copies them onto each invoice it
    # finalizes, so an invoice shows the details in force when it was issued.
    details = account.billing_details
    address = details.address if details else None
    return BillingAccountChangedV1(
        billing_account_id=account.id,
        name=account.name,
        status=BillingAccountStatus(account.status.value),
        currency=account.currency,
        billing_emails=account.billing_emails,
        members=tuple(_snapshot_member(member) for member in account.members),
        legal_name=details.legal_name if details else None,
        billing_address=BillingAddress(
            line1=address.line1, line2=address.line2, city=address.city, postal_code=address.postal_code,
            region=address.region, country=address.country,
        ) if address else None,
        tax_id=details.tax_id if details else None,
        version=account.version,
        changed_at=account.updated_at,
    )


def _snapshot_member(member: Member) -> AccountMember:
    # The V1 contract requires a user id. Members invited by email carry one derived from their
    # email (`invited_user_id`); rows written before that have none, and get the same derivation.
    user_id = member.user_id or invited_user_id(member.email)
    return AccountMember(user_id=user_id, email=member.email, role=MemberRole(member.role.value))


async def publish_account_snapshot(tx: AsyncConnection, account: BillingAccount) -> None:
    """Stage the snapshot of `account` in `tx`, the transaction that wrote this state."""
    await publish_events(tx, [new_envelope(account_snapshot(account), source=SOURCE)])
