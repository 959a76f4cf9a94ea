"""Members, roles and renaming over HTTP against the real database; each change publishes a
new snapshot (version + 1) in the same transaction, read back from the outbox."""

import pytest

ACCOUNTS = "/v1/billing-accounts"


@pytest.fixture
def client(accounts_client):
    return accounts_client


@pytest.fixture
def account(client, person):
    """A new account: (id, owner email, owner headers)."""
    email, headers = person("owner")
    body = {"name": "Acme GmbH", "currency": "EUR", "billing_email": "billing@acme.example"}
    created = client.post(ACCOUNTS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"], email, headers


def _add(client, account_id, headers, email, role):
    return client.post(f"{ACCOUNTS}/{account_id}/members", json={"email": email, "role": role}, headers=headers)


def test_a_stranger_cannot_read_list_or_guess_the_account(client, account, person):
    account_id, _, _ = account
    _, eve = person("eve")
    for path in ("", "/members", "/billing-details", "/projects", "/standing"):
        answer = client.get(f"{ACCOUNTS}/{account_id}{path}", headers=eve)
        assert (answer.status_code, answer.json()) == (404, {"detail": f"billing account {account_id} not found"}), path
    assert client.patch(f"{ACCOUNTS}/{account_id}", json={"name": "Mine"}, headers=eve).status_code == 404
    assert client.post(f"{ACCOUNTS}/{account_id}/deletion-request", headers=eve).status_code == 404
    assert _add(client, account_id, eve, "eve2@example.com", "owner").status_code == 404
    assert client.get(ACCOUNTS, headers=eve).json() == []
    for guess in ("ba_0000000000000000", "not-an-id", "ba_" + "x" * 300):
        assert client.get(f"{ACCOUNTS}/{guess}", headers=eve).status_code == 404


def test_the_owner_manages_members_and_every_change_is_a_new_snapshot(client, account, person, outbox_snapshots):
    account_id, owner_email, owner = account
    grace_email, grace = person("grace")

    added = _add(client, account_id, owner, grace_email.upper(), "viewer")
    assert added.status_code == 201, added.text
    assert added.json()["email"] == grace_email and added.json()["role"] == "viewer"
    assert added.json()["user_id"].startswith("usr_")
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=grace).json()["role"] == "viewer"
    assert [a["id"] for a in client.get(ACCOUNTS, headers=grace).json()] == [account_id]

    promoted = client.patch(f"{ACCOUNTS}/{account_id}/members/{grace_email}", json={"role": "admin"}, headers=owner)
    assert (promoted.status_code, promoted.json()["role"]) == (200, "admin")
    again = _add(client, account_id, owner, grace_email, "owner")
    assert again.status_code == 409 and "already a member" in again.json()["detail"]

    removed = client.delete(f"{ACCOUNTS}/{account_id}/members/{grace_email}", headers=owner)
    assert removed.status_code == 204
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=grace).status_code == 404

    snapshots = outbox_snapshots(account_id)
    assert [s.version for s in snapshots] == [1, 2, 3, 4]
    assert [sorted((m.email, m.role.value) for m in s.members) for s in snapshots] == [
        [(owner_email, "owner")],
        sorted([(owner_email, "owner"), (grace_email, "viewer")]),
        sorted([(owner_email, "owner"), (grace_email, "admin")]),
        [(owner_email, "owner")],
    ]


def test_the_last_owner_can_neither_leave_nor_be_demoted(client, account, person, outbox_snapshots):
    account_id, owner_email, owner = account
    left = client.delete(f"{ACCOUNTS}/{account_id}/members/{owner_email}", headers=owner)
    assert left.status_code == 409 and "at least one owner" in left.json()["detail"]
    demoted = client.patch(f"{ACCOUNTS}/{account_id}/members/{owner_email}", json={"role": "admin"}, headers=owner)
    assert demoted.status_code == 409
    assert [s.version for s in outbox_snapshots(account_id)] == [1]

    # With a second owner, the first may leave.
    bob_email, bob = person("bob")
    assert _add(client, account_id, owner, bob_email, "owner").status_code == 201
    assert client.delete(f"{ACCOUNTS}/{account_id}/members/{owner_email}", headers=owner).status_code == 204
    members = client.get(f"{ACCOUNTS}/{account_id}/members", headers=bob).json()
    assert [(m["email"], m["role"]) for m in members] == [(bob_email, "owner")]
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=owner).status_code == 404


def test_a_viewer_reads_but_cannot_write_and_an_admin_cannot_manage_members(client, account, person, outbox_snapshots):
    account_id, _, owner = account
    vic_email, vic = person("vic")
    ann_email, ann = person("ann")
    _add(client, account_id, owner, vic_email, "viewer")
    _add(client, account_id, owner, ann_email, "admin")
    version = len(outbox_snapshots(account_id))

    assert client.get(f"{ACCOUNTS}/{account_id}/members", headers=vic).status_code == 200
    renamed = client.patch(f"{ACCOUNTS}/{account_id}", json={"name": "Vic's"}, headers=vic)
    assert renamed.status_code == 403 and "admin" in renamed.json()["detail"]
    assert client.put(f"{ACCOUNTS}/{account_id}/billing-details", json={}, headers=vic).status_code == 403
    # No escalation: only owners manage members, so an admin can neither add nor promote.
    assert _add(client, account_id, ann, "friend@example.com", "owner").status_code == 403
    assert client.patch(f"{ACCOUNTS}/{account_id}/members/{ann_email}", json={"role": "owner"}, headers=ann).status_code == 403
    assert client.patch(f"{ACCOUNTS}/{account_id}/members/{vic_email}", json={"role": "admin"}, headers=vic).status_code == 403
    # Any member may leave.
    assert client.delete(f"{ACCOUNTS}/{account_id}/members/{vic_email}", headers=vic).status_code == 204

    renamed = client.patch(f"{ACCOUNTS}/{account_id}", json={"name": "  Acme Europe "}, headers=ann)
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["role"]) == (200, "Acme Europe", "admin")
    snapshots = outbox_snapshots(account_id)
    assert [s.version for s in snapshots[version:]] == [version + 1, version + 2]
    assert snapshots[-1].name == "Acme Europe"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "", {"name": "x" * 201}, ["body", "name"]),
        ("PATCH", "", {"name": "Acme", "status": "closed"}, ["body", "status"]),
        ("PATCH", "", {"name": "Acme", "id": "ba_0000000000000000"}, ["body", "id"]),
        ("POST", "/members", {"email": "not-an-email", "role": "viewer"}, ["body", "email"]),
        ("POST", "/members", {"email": "x@example.com", "role": "superuser"}, ["body", "role"]),
        ("POST", "/members", {"email": "x@example.com", "role": "viewer", "user_id": "usr_me"}, ["body", "user_id"]),
        ("PATCH", "/members/not-an-email", {"role": "viewer"}, ["path", "email"]),
        ("PATCH", "/members/{owner}", {"role": "god"}, ["body", "role"]),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client, account, outbox_snapshots, method, path, body, field):
    account_id, owner_email, owner = account
    answer = client.request(method, f"{ACCOUNTS}/{account_id}{path.format(owner=owner_email)}", json=body, headers=owner)
    assert answer.status_code == 422, answer.text
    assert field in [problem["loc"] for problem in answer.json()["detail"]]
    assert all(problem["msg"] for problem in answer.json()["detail"])
    assert [s.version for s in outbox_snapshots(account_id)] == [1]
    assert client.get(f"{ACCOUNTS}/{account_id}", headers=owner).json()["name"] == "Acme GmbH"
