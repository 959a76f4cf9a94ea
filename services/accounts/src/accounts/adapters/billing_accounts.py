"""Billing accounts and their members in the accounts database.

Writers pass the open transaction of their use case; nothing here commits. A use case that
changes an account reads it with `for_update=True`, so concurrent changes of one account are
serialized (versions never repeat, the last owner cannot be removed twice over).
"""

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.billing_details import billing_details_of, put_billing_details
from accounts.adapters.tables import ACCOUNT_MEMBERS, BILLING_ACCOUNTS
from accounts.domain.billing_accounts import AccountStatus, AccountSummary, BillingAccount, Member, Role
from accounts.domain.ids import is_account_id


def _row_values(account: BillingAccount) -> dict:
    return {
        "name": account.name,
        "currency": account.currency,
        "status": account.status.value,
        "billing_email": account.billing_email,
        "version": account.version,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
        "deletion_requested_at": account.deletion_requested_at,
    }


def _member_rows(account: BillingAccount) -> list[dict]:
    return [
        {"billing_account_id": account.id, "email": m.email, "user_id": m.user_id, "role": m.role.value}
        for m in account.members
    ]


async def add_billing_account(tx: AsyncConnection, account: BillingAccount) -> None:
    await tx.execute(insert(BILLING_ACCOUNTS).values(id=account.id, **_row_values(account)))
    await tx.execute(insert(ACCOUNT_MEMBERS), _member_rows(account))


async def save_billing_account(tx: AsyncConnection, before: BillingAccount, after: BillingAccount) -> None:
    """Write `after` over `before` (read for update in the same transaction)."""
    await tx.execute(update(BILLING_ACCOUNTS).where(BILLING_ACCOUNTS.c.id == after.id).values(**_row_values(after)))
    if after.members != before.members:
        await tx.execute(delete(ACCOUNT_MEMBERS).where(ACCOUNT_MEMBERS.c.billing_account_id == after.id))
        await tx.execute(insert(ACCOUNT_MEMBERS), _member_rows(after))
    if after.billing_details is not None and after.billing_details != before.billing_details:
        await put_billing_details(tx, after.id, after.billing_details)


async def billing_account(
    connection: AsyncConnection, billing_account_id: str, *, for_update: bool = False
) -> BillingAccount | None:
    """The whole account with its members and billing details, as its snapshot carries it."""
    if not is_account_id(billing_account_id):
        return None
    query = select(BILLING_ACCOUNTS).where(BILLING_ACCOUNTS.c.id == billing_account_id)
    row = (await connection.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        return None
    members = await connection.execute(
        select(ACCOUNT_MEMBERS)
        .where(ACCOUNT_MEMBERS.c.billing_account_id == billing_account_id)
        .order_by(ACCOUNT_MEMBERS.c.email)
    )
    return BillingAccount(
        id=row.id,
        name=row.name,
        currency=row.currency,
        status=AccountStatus(row.status),
        billing_email=row.billing_email,
        members=tuple(Member(email=m.email, role=Role(m.role), user_id=m.user_id) for m in members),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deletion_requested_at=row.deletion_requested_at,
        billing_details=await billing_details_of(connection, billing_account_id),
    )


async def accounts_awaiting_deletion(connection: AsyncConnection) -> list[str]:
    query = select(BILLING_ACCOUNTS.c.id).where(BILLING_ACCOUNTS.c.status == AccountStatus.DELETION_REQUESTED.value)
    return list((await connection.execute(query)).scalars())


_SUMMARY = select(
    BILLING_ACCOUNTS.c.id,
    BILLING_ACCOUNTS.c.name,
    BILLING_ACCOUNTS.c.currency,
    BILLING_ACCOUNTS.c.status,
    BILLING_ACCOUNTS.c.billing_email,
    BILLING_ACCOUNTS.c.created_at,
    ACCOUNT_MEMBERS.c.role,
).join(ACCOUNT_MEMBERS, ACCOUNT_MEMBERS.c.billing_account_id == BILLING_ACCOUNTS.c.id)


async def accounts_of_member(connection: AsyncConnection, email: str) -> list[AccountSummary]:
    """Every account `email` is a member of, oldest first."""
    rows = await connection.execute(
        _SUMMARY.where(ACCOUNT_MEMBERS.c.email == email.lower()).order_by(
            BILLING_ACCOUNTS.c.created_at, BILLING_ACCOUNTS.c.id
        )
    )
    return [_summary(row) for row in rows]


async def account_of_member(connection: AsyncConnection, billing_account_id: str, email: str) -> AccountSummary | None:
    """The account as `email` sees it, or None when there is no such account or they are not a member."""
    row = (
        await connection.execute(
            _SUMMARY.where(BILLING_ACCOUNTS.c.id == billing_account_id, ACCOUNT_MEMBERS.c.email == email.lower())
        )
    ).first()
    return None if row is None else _summary(row)


def _summary(row: Row) -> AccountSummary:
    return AccountSummary(
        id=row.id,
        name=row.name,
        currency=row.currency,
        status=AccountStatus(row.status),
        billing_email=row.billing_email,
        role=Role(row.role),
        created_at=row.created_at,
    )
