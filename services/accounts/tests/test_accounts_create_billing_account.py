"""Opening, listing and reading billing accounts against the real accounts database."""

import uuid
from datetime import UTC, datetime

import pytest
from billing_contracts import BillingAccountChangedV1, parse_event
from billing_runtime.auth import Caller
from billing_runtime.clock import FixedClock
from sqlalchemy import select

from accounts.adapters.tables import ACCOUNT_MEMBERS, BILLING_ACCOUNTS
from accounts.domain.billing_accounts import AccountStatus, Role
from accounts.domain.errors import InvalidBillingAccount
from accounts.use_cases.create_billing_account import CreateBillingAccount, create_billing_account
from accounts.use_cases.get_account import get_account
from accounts.use_cases.list_my_accounts import list_my_accounts

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _caller(name: str) -> Caller:
    tag = uuid.uuid4().hex[:8]
    return Caller(subject=f"usr_{name}_{tag}", email=f"{name}.{tag}@example.com")


async def _outbox_rows(connection, key: str):
    query = "SELECT topic, key, payload FROM outbox WHERE key = %(key)s"
    return (await connection.exec_driver_sql(query, {"key": key})).all()


async def test_creating_writes_the_account_its_owner_and_one_snapshot_in_the_outbox(accounts_engine, account_ids):
    ada = _caller("ada")
    cmd = CreateBillingAccount(caller=ada, name=" Acme GmbH ", currency="eur", billing_email="Billing@Acme.example")
    async with accounts_engine.begin() as tx:
        created = await create_billing_account(cmd, tx, FixedClock(NOW), account_ids)

    assert account_ids.issued == [created.id]
    assert (created.role, created.status) == (Role.OWNER, AccountStatus.ACTIVE)
    async with accounts_engine.connect() as connection:
        account = (await connection.execute(select(BILLING_ACCOUNTS).where(BILLING_ACCOUNTS.c.id == created.id))).one()
        members = (
            await connection.execute(select(ACCOUNT_MEMBERS).where(ACCOUNT_MEMBERS.c.billing_account_id == created.id))
        ).all()
        outbox = await _outbox_rows(connection, created.id)

    assert (account.name, account.currency, account.status, account.billing_email) == (
        "Acme GmbH", "EUR", "active", "billing@acme.example",
    )
    assert (account.version, account.created_at, account.updated_at) == (1, NOW, NOW)
    assert [(m.email, m.user_id, m.role) for m in members] == [(ada.email, ada.subject, "owner")]

    assert [(row.topic, row.key) for row in outbox] == [("billing_account.changed", created.id)]
    envelope = parse_event(outbox[0].payload)
    assert envelope.source == "/billing/accounts" and envelope.subject == created.id
    snapshot = envelope.data
    assert isinstance(snapshot, BillingAccountChangedV1)
    assert (snapshot.name, snapshot.status.value, snapshot.currency) == ("Acme GmbH", "active", "EUR")
    assert snapshot.billing_emails == ("billing@acme.example",)
    assert [(m.user_id, m.email, m.role.value) for m in snapshot.members] == [(ada.subject, ada.email, "owner")]
    assert (snapshot.version, snapshot.changed_at) == (1, NOW)


async def test_invalid_details_write_nothing(accounts_engine, account_ids):
    cmd = CreateBillingAccount(caller=_caller("bob"), name="Acme", currency="EURO", billing_email="b@acme.example")
    with pytest.raises(InvalidBillingAccount):
        async with accounts_engine.begin() as tx:
            await create_billing_account(cmd, tx, FixedClock(NOW), account_ids)
    (would_be_id,) = account_ids.issued
    async with accounts_engine.connect() as connection:
        written = await connection.execute(select(BILLING_ACCOUNTS).where(BILLING_ACCOUNTS.c.id == would_be_id))
        assert written.first() is None
        assert await _outbox_rows(connection, would_be_id) == []


async def test_members_see_their_accounts_and_nobody_else_does(accounts_engine, account_ids):
    ada, eve = _caller("ada"), _caller("eve")
    clock = FixedClock(NOW)
    opened = []
    for name, currency in (("Acme", "EUR"), ("Acme US", "usd")):
        async with accounts_engine.begin() as tx:
            cmd = CreateBillingAccount(ada, name, currency, "b@acme.example")
            opened.append(await create_billing_account(cmd, tx, clock, account_ids))
    first, second = opened

    async with accounts_engine.connect() as connection:
        assert [a.id for a in await list_my_accounts(ada, connection)] == [first.id, second.id]
        assert await list_my_accounts(eve, connection) == []
        mine = await get_account(second.id, ada, connection)
        assert (mine.name, mine.currency, mine.role) == ("Acme US", "USD", Role.OWNER)
        # The same email in another case is the same member: token emails are compared lower-cased.
        assert await get_account(second.id, Caller(ada.subject, ada.email.upper()), connection) is not None
        assert await get_account(second.id, eve, connection) is None
        assert await get_account("ba_doesnotexist0000", ada, connection) is None
        assert await get_account("not-an-id", ada, connection) is None
