"""Who may do what on a billing account, as every service but accounts knows it: a replica of
the members carried by `billing_account.changed` snapshots.

Routes depend on `require_member(...)`: a caller who is not a member of the account in the
path gets 404 (another tenant's ids are not confirmed to exist), a member whose role is not
enough gets 403.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from billing_contracts import BillingAccountChangedV1, Envelope
from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import Column, Integer, MetaData, Table, Text, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from billing_runtime.auth import Caller, current_caller

METADATA = MetaData()
ACCOUNT_MEMBERS = Table(
    "account_members_replica",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("email", Text, primary_key=True),
    Column("role", Text, nullable=False),
)
ACCOUNT_VERSIONS = Table(
    "account_versions_replica",
    METADATA,
    Column("billing_account_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)

ROLE_RANK = {"viewer": 1, "admin": 2, "owner": 3}


async def apply_account_snapshot(transaction: AsyncConnection, envelope: Envelope[BillingAccountChangedV1]) -> bool:
    """Replace the account's members with the snapshot's, unless a newer snapshot is already held.

    Returns whether it was applied. Snapshots may arrive out of order after a replay; the
    version decides.
    """
    snapshot = envelope.data
    claimed = await transaction.execute(
        upsert(ACCOUNT_VERSIONS)
        .values(billing_account_id=snapshot.billing_account_id, version=snapshot.version)
        .on_conflict_do_update(
            index_elements=["billing_account_id"],
            set_={"version": snapshot.version},
            where=ACCOUNT_VERSIONS.c.version < snapshot.version,
        )
        .returning(ACCOUNT_VERSIONS.c.version)
    )
    if claimed.first() is None:
        return False
    await transaction.execute(delete(ACCOUNT_MEMBERS).where(ACCOUNT_MEMBERS.c.billing_account_id == snapshot.billing_account_id))
    if snapshot.members:
        await transaction.execute(
            insert(ACCOUNT_MEMBERS),
            [{"billing_account_id": snapshot.billing_account_id, "email": m.email.lower(), "role": m.role.value}
             for m in snapshot.members],
        )
    return True


async def role_of(connection: AsyncConnection, billing_account_id: str, email: str) -> str | None:
    query = select(ACCOUNT_MEMBERS.c.role).where(
        ACCOUNT_MEMBERS.c.billing_account_id == billing_account_id, ACCOUNT_MEMBERS.c.email == email.lower()
    )
    return (await connection.execute(query)).scalar()


def require_member(least_role: str = "viewer") -> Callable[..., Coroutine[Any, Any, Caller]]:
    """Dependency for routes with a `billing_account_id` path parameter."""

    async def check(billing_account_id: str, request: Request, caller: Caller = Depends(current_caller)) -> Caller:
        async with request.app.state.runtime.engine.connect() as connection:
            role = await role_of(connection, billing_account_id, caller.email)
        if role is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"billing account {billing_account_id} not found")
        if ROLE_RANK[role] < ROLE_RANK[least_role]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {least_role} role on the account; you are {role}")
        return caller

    return check


async def require_operator(request: Request, caller: Caller = Depends(current_caller)) -> Caller:
    """Dependency for operator routes: the caller's verified email must be a configured operator."""
    operators = {email.lower() for email in request.app.state.runtime.settings.operator_emails}
    if caller.email not in operators:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs an operator")
    return caller
