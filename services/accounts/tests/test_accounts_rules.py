"""Members, billing details, standing and project history rules, without any server."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.adapters.snapshots import account_snapshot
from accounts.domain.billing_accounts import (
    AccountStatus, Member, Role, cancel_deletion, close, open_billing_account, rename, request_deletion, require_role,
    with_billing_details,
)
from accounts.domain.billing_details import billing_details
from accounts.domain.countries import ISO_3166_ALPHA_2, country_code
from accounts.domain.errors import (
    AccountNotActive, AccountNotFound, AlreadyMember, InvalidBillingAccount, InvalidBillingDetails, InvalidRequest,
    LastOwnerRequired, MemberNotFound, NoDeletionRequested, NotAllowed,
)
from accounts.domain.members import add_member, change_role, invited_user_id, member_role, remove_member
from accounts.domain.projects import ProjectLink, account_paying_at, project_id
from accounts.domain.standing import Reason, standing

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
OWNER = Member(email="ada@example.com", role=Role.OWNER, user_id="usr_ada")
DETAILS = {
    "legal_name": "Acme GmbH", "billing_emails": ["AP@acme.example", "cfo@acme.example"],
    "address.line1": "Hauptstrasse 1", "address.city": "Berlin", "address.postal_code": "10115", "address.country": "de",
}


def _account():
    return open_billing_account(
        "ba_0123456789abcdef", name="Acme", currency="EUR", billing_email="b@acme.example", owner=OWNER, now=NOW
    )


def test_an_invited_member_gets_a_stable_id_derived_from_the_email_and_the_version_grows():
    account = add_member(_account(), "grace@acme.example", Role.ADMIN, LATER)
    grace = next(m for m in account.members if m.email == "grace@acme.example")
    assert grace.user_id == invited_user_id("Grace@ACME.example") and grace.user_id.startswith("usr_")
    assert len(grace.user_id) == 4 + 32
    assert (account.version, account.updated_at) == (2, LATER)
    snapshot = account_snapshot(account)
    assert {(m.email, m.user_id, m.role.value) for m in snapshot.members} == {
        ("ada@example.com", "usr_ada", "owner"), ("grace@acme.example", grace.user_id, "admin"),
    }
    with pytest.raises(AlreadyMember):
        add_member(account, "grace@acme.example", Role.VIEWER, LATER)


def test_the_last_owner_can_be_neither_demoted_nor_removed_but_one_of_two_can():
    account = _account()
    with pytest.raises(LastOwnerRequired):
        change_role(account, "ada@example.com", Role.ADMIN, LATER)
    with pytest.raises(LastOwnerRequired):
        remove_member(account, "ada@example.com", LATER)
    two_owners = add_member(account, "bob@acme.example", Role.OWNER, LATER)
    demoted = change_role(two_owners, "ada@example.com", Role.VIEWER, LATER)
    assert demoted.role_of("ada@example.com") is Role.VIEWER and demoted.version == 3
    assert [m.email for m in remove_member(two_owners, "ada@example.com", LATER).members] == ["bob@acme.example"]
    with pytest.raises(MemberNotFound):
        remove_member(account, "nobody@acme.example", LATER)
    assert change_role(account, "ada@example.com", Role.OWNER, LATER) is account  # no change, no new version


def test_unknown_roles_are_refused_naming_the_field():
    with pytest.raises(InvalidRequest) as refused:
        member_role("superuser")
    assert "owner, admin, viewer" in refused.value.problems["role"]


def test_who_may_do_what():
    account = add_member(_account(), "vic@acme.example", Role.VIEWER, LATER)
    assert require_role(account, account.id, "ADA@example.com", Role.OWNER) is Role.OWNER
    with pytest.raises(NotAllowed, match="admin"):
        require_role(account, account.id, "vic@acme.example", Role.ADMIN)
    with pytest.raises(AccountNotFound, match=account.id):
        require_role(account, account.id, "eve@example.com", Role.VIEWER)
    with pytest.raises(AccountNotFound):
        require_role(None, "ba_ffffffffffffffff", "ada@example.com", Role.VIEWER)


def test_renaming_checks_the_name():
    assert rename(_account(), " Acme EU ", LATER).name == "Acme EU"
    with pytest.raises(InvalidBillingAccount) as refused:
        rename(_account(), "x" * 201, LATER)
    assert "at most 200" in refused.value.problems["name"]


def test_billing_details_are_normalised_and_become_the_snapshots_billing_emails():
    details = billing_details(DETAILS | {"address.region": "  ", "tax_id": "DE123456789"})
    assert details.billing_emails == ("ap@acme.example", "cfo@acme.example")
    assert (details.address.country, details.address.region, details.tax_id) == ("DE", None, "DE123456789")
    account = with_billing_details(_account(), details, LATER)
    assert account_snapshot(account).billing_emails == ("ap@acme.example", "cfo@acme.example")
    assert account.billing_email == "ap@acme.example"


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("address.postal_code", None, "is required"),
        ("address.postal_code", "  ", "is required"),
        ("address.country", "XX", "ISO 3166-1"),
        ("address.country", "Germany", "ISO 3166-1"),
        ("billing_emails", ["not-an-email"], "email address"),
        ("billing_emails", [], "at least one"),
        ("legal_name", "x" * 201, "at most 200"),
        ("tax_id", "!", "letters, digits"),
    ],
)
def test_bad_billing_details_name_the_field(field, value, complaint):
    with pytest.raises(InvalidBillingDetails) as refused:
        billing_details(DETAILS | {field: value})
    assert list(refused.value.problems) == [field]
    assert complaint in refused.value.problems[field]


def test_every_missing_billing_detail_is_named_at_once():
    with pytest.raises(InvalidBillingDetails) as refused:
        billing_details({})
    assert set(refused.value.problems) == {
        "legal_name", "billing_emails", "address.line1", "address.city", "address.postal_code", "address.country",
    }


def test_the_country_list_is_iso_3166_alpha_2():
    assert len(ISO_3166_ALPHA_2) == 249
    assert {"DE", "US", "GB", "JP", "AX", "SS", "CW"} <= ISO_3166_ALPHA_2
    assert not {"UK", "EU", "XK", "ZZ"} & ISO_3166_ALPHA_2
    assert country_code(" gb ") == "GB"


def test_deletion_is_requested_cancelled_or_closes():
    requested = request_deletion(_account(), LATER)
    assert (requested.status, requested.deletion_requested_at, requested.version) == (
        AccountStatus.DELETION_REQUESTED, LATER, 2,
    )
    with pytest.raises(AccountNotActive):
        rename(requested, "Other", LATER)
    cancelled = cancel_deletion(requested, LATER)
    assert (cancelled.status, cancelled.deletion_requested_at, cancelled.version) == (AccountStatus.ACTIVE, None, 3)
    with pytest.raises(NoDeletionRequested):
        cancel_deletion(cancelled, LATER)
    closed = close(requested, LATER)
    assert closed.status is AccountStatus.CLOSED
    with pytest.raises(NoDeletionRequested):
        cancel_deletion(closed, LATER)


def test_standing_names_every_reason():
    assert standing(AccountStatus.ACTIVE, True, False).may_deploy
    assert standing(AccountStatus.ACTIVE, False, False).reasons == (Reason.NO_PAYMENT_METHOD,)
    blocked = standing(AccountStatus.DELETION_REQUESTED, False, True)
    assert not blocked.may_deploy
    assert blocked.reasons == (Reason.DELETION_REQUESTED, Reason.NO_PAYMENT_METHOD, Reason.OVERDUE)
    assert standing(AccountStatus.CLOSED, True, False).reasons == (Reason.CLOSED,)


def test_the_account_paying_for_a_project_is_the_one_it_belonged_to_then():
    history = [
        ProjectLink("prj_1", "ba_aaaaaaaaaaaaaaaa", NOW, LATER),
        ProjectLink("prj_1", "ba_bbbbbbbbbbbbbbbb", LATER, None),
    ]
    assert account_paying_at(history, NOW - timedelta(seconds=1)) is None
    assert account_paying_at(history, NOW) == "ba_aaaaaaaaaaaaaaaa"
    assert account_paying_at(history, LATER - timedelta(microseconds=1)) == "ba_aaaaaaaaaaaaaaaa"
    assert account_paying_at(history, LATER) == "ba_bbbbbbbbbbbbbbbb"
    assert project_id("prj_4kT9wQ") == "prj_4kT9wQ"
    with pytest.raises(InvalidRequest) as refused:
        project_id("../etc/passwd")
    assert "project_id" in refused.value.problems
