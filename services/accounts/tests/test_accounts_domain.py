"""The rules for opening a billing account, without any server."""

from datetime import UTC, datetime

import pytest

from accounts.adapters.ids import RandomAccountIds
from accounts.adapters.snapshots import account_snapshot
from accounts.domain.billing_accounts import AccountStatus, Member, Role, open_billing_account
from accounts.domain.errors import AccountsError, InvalidBillingAccount
from accounts.domain.ids import is_account_id

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
OWNER = Member(email="Ada@Example.com", role=Role.OWNER, user_id="usr_ada")


def _open(**details: str):
    fields = {"name": "Acme GmbH", "currency": "EUR", "billing_email": "billing@acme.example"} | details
    return open_billing_account("ba_0123456789abcdef", owner=OWNER, now=NOW, **fields)


def test_a_new_account_is_active_at_version_1_with_its_creator_as_only_owner():
    account = _open()
    assert (account.name, account.currency, account.billing_email) == ("Acme GmbH", "EUR", "billing@acme.example")
    assert account.status is AccountStatus.ACTIVE
    assert account.version == 1
    assert account.created_at == account.updated_at == NOW
    assert account.members == (Member(email="ada@example.com", role=Role.OWNER, user_id="usr_ada"),)
    assert account.role_of("ADA@example.com") is Role.OWNER
    assert account.role_of("eve@example.com") is None


def test_details_are_normalised():
    account = _open(name="  Acme GmbH \t", currency=" usd ", billing_email=" Billing@ACME.example ")
    assert (account.name, account.currency, account.billing_email) == ("Acme GmbH", "USD", "billing@acme.example")


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("name", "   ", "blank"),
        ("name", "x" * 201, "at most 200"),
        ("name", "Acme\nGmbH", "control characters"),
        ("currency", "EURO", "ISO 4217"),
        ("currency", "E1R", "ISO 4217"),
        ("currency", "", "ISO 4217"),
        ("billing_email", "billing.acme.example", "email address"),
        ("billing_email", "billing@acme", "email address"),
        ("billing_email", "bill ing@acme.example", "email address"),
        ("billing_email", "a@" + "b" * 250 + ".com", "email address"),
    ],
)
def test_a_bad_detail_is_refused_naming_its_field(field, value, complaint):
    with pytest.raises(InvalidBillingAccount) as refused:
        _open(**{field: value})
    assert list(refused.value.problems) == [field]
    assert complaint in refused.value.problems[field]


def test_a_name_of_exactly_200_characters_is_accepted():
    assert len(_open(name="x" * 200).name) == 200


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(InvalidBillingAccount) as refused:
        _open(name="", currency="12", billing_email="nobody")
    assert set(refused.value.problems) == {"name", "currency", "billing_email"}
    assert isinstance(refused.value, AccountsError)


def test_account_ids_are_ba_and_16_lower_case_characters_and_do_not_repeat():
    ids = RandomAccountIds()
    issued = {ids.new_account_id() for _ in range(1000)}
    assert len(issued) == 1000
    assert all(is_account_id(account_id) for account_id in issued)
    assert not is_account_id("ba_0123456789ABCDEF")
    assert not is_account_id("ba_0123")
    with pytest.raises(AccountsError):
        open_billing_account("acct_1", name="Acme", currency="EUR", billing_email="b@acme.example", owner=OWNER, now=NOW)


def test_roles_rank_owner_over_admin_over_viewer():
    assert Role.OWNER.allows(Role.ADMIN) and Role.ADMIN.allows(Role.VIEWER) and Role.VIEWER.allows(Role.VIEWER)
    assert not Role.VIEWER.allows(Role.ADMIN) and not Role.ADMIN.allows(Role.OWNER)


def test_the_snapshot_carries_the_whole_account():
    snapshot = account_snapshot(_open())
    assert snapshot.billing_account_id == "ba_0123456789abcdef"
    assert (snapshot.name, snapshot.status.value, snapshot.currency) == ("Acme GmbH", "active", "EUR")
    assert snapshot.billing_emails == ("billing@acme.example",)
    assert [(m.user_id, m.email, m.role.value) for m in snapshot.members] == [("usr_ada", "ada@example.com", "owner")]
    assert (snapshot.version, snapshot.changed_at) == (1, NOW)
