"""Billing accounts and their members in the accounts database.

Writers pass the open transaction of their use case; nothing here commits.
"""

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.tables import ACCOUNT_MEMBERS, BILLING_ACCOUNTS
from accounts.domain.billing_accounts import AccountStatus, AccountSummary, BillingAccount, Member, Role


async def add_billing_account(tx: AsyncConnection, account: BillingAccount) -> None:
    await tx.execute(
        insert(BILLING_ACCOUNTS).values(
            id=account.id,
            name=account.name,
            currency=account.currency,
            status=account.status.value,
            billing_email=account.billing_email,
            version=account.version,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )
    )
    await tx.execute(
        insert(ACCOUNT_MEMBERS),
        [
            {"billing_account_id": account.id, "email": m.email, "user_id": m.user_id, "role": m.role.value}
            for m in account.members
        ],
    )


async def billing_account(connection: AsyncConnection, billing_account_id: str) -> BillingAccount | None:
    """The whole account with its members, as its snapshot carries it."""
    row = (
        await connection.execute(select(BILLING_ACCOUNTS).where(BILLING_ACCOUNTS.c.id == billing_account_id))
    ).first()
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
    )


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
