"""Billing details and projects over HTTP against the real database."""

from datetime import UTC, datetime, timedelta

import pytest

ACCOUNTS = "/v1/billing-accounts"
DETAILS = {
    "legal_name": "Acme GmbH",
    "billing_emails": ["AP@acme.example", "cfo@acme.example"],
    "address": {"line1": "Hauptstrasse 1", "city": "Berlin", "postal_code": "10115", "country": "de"},
    "tax_id": "DE123456789",
}


@pytest.fixture
def client(accounts_client):
    return accounts_client


@pytest.fixture
def open_account(client, person):
    def open_one(name: str = "owner"):
        email, headers = person(name)
        body = {"name": "Acme GmbH", "currency": "EUR", "billing_email": "billing@acme.example"}
        created = client.post(ACCOUNTS, json=body, headers=headers)
        assert created.status_code == 201, created.text
        return created.json()["id"], email, headers

    return open_one


def test_billing_details_are_kept_shown_and_published_with_the_snapshot(client, open_account, outbox_snapshots):
    account_id, _, owner = open_account()
    assert client.get(f"{ACCOUNTS}/{account_id}/billing-details", headers=owner).status_code == 404

    put = client.put(f"{ACCOUNTS}/{account_id}/billing-details", json=DETAILS, headers=owner)
    assert put.status_code == 200, put.text
    expected = {
        "legal_name": "Acme GmbH", "billing_emails": ["ap@acme.example", "cfo@acme.example"],
        "address": {"line1": "Hauptstrasse 1", "line2": None, "city": "Berlin", "postal_code": "10115",
                    "region": None, "country": "DE"},
        "tax_id": "DE123456789",
    }
    assert put.json() == expected
    assert client.get(f"{ACCOUNTS}/{account_id}/billing-details", headers=owner).json() == expected
    overview = client.get(f"{ACCOUNTS}/{account_id}", headers=owner).json()
    assert overview["billing_details"] == expected
    assert overview["billing_emails"] == ["ap@acme.example", "cfo@acme.example"]
    assert (overview["primary_card"], overview["outstanding_balance"]) == (None, [{"currency": "EUR", "amount": 0}])

    snapshots = outbox_snapshots(account_id)
    assert [(s.version, s.billing_emails) for s in snapshots] == [
        (1, ("billing@acme.example",)), (2, ("ap@acme.example", "cfo@acme.example")),
    ]
    # The details travel with the snapshot, for invoicing to print on the invoices it issues.
    assert (snapshots[0].legal_name, snapshots[0].billing_address, snapshots[0].tax_id) == (None, None, None)
    latest = snapshots[-1]
    assert (latest.legal_name, latest.tax_id) == ("Acme GmbH", "DE123456789")
    assert latest.billing_address.model_dump() == expected["address"]


@pytest.mark.parametrize(
    ("change", "loc", "complaint"),
    [
        ({"address": {**DETAILS["address"], "postal_code": None}}, ["body", "address", "postal_code"], "is required"),
        ({"address": {k: v for k, v in DETAILS["address"].items() if k != "postal_code"}},
         ["body", "address", "postal_code"], "is required"),
        ({"address": {**DETAILS["address"], "country": "XX"}}, ["body", "address", "country"], "ISO 3166-1"),
        ({"billing_emails": ["ap@acme.example", "nobody"]}, ["body", "billing_emails"], "email address"),
        ({"legal_name": "x" * 201}, ["body", "legal_name"], "at most 200"),
        ({"vat": "DE1"}, ["body", "vat"], "Extra inputs"),
        ({"address": {**DETAILS["address"], "street": "x"}}, ["body", "address", "street"], "Extra inputs"),
    ],
)
def test_bad_billing_details_get_422_naming_the_field_and_change_nothing(
    client, open_account, outbox_snapshots, change, loc, complaint
):
    account_id, _, owner = open_account()
    answer = client.put(f"{ACCOUNTS}/{account_id}/billing-details", json=DETAILS | change, headers=owner)
    assert answer.status_code == 422, answer.text
    problems = {tuple(p["loc"]): p["msg"] for p in answer.json()["detail"]}
    assert complaint in problems[tuple(loc)]
    assert client.get(f"{ACCOUNTS}/{account_id}/billing-details", headers=owner).status_code == 404
    assert len(outbox_snapshots(account_id)) == 1


def test_every_missing_billing_detail_is_named(client, open_account):
    account_id, _, owner = open_account()
    answer = client.put(f"{ACCOUNTS}/{account_id}/billing-details", json={}, headers=owner)
    assert answer.status_code == 422
    assert {tuple(p["loc"]) for p in answer.json()["detail"]} == {
        ("body", "legal_name"), ("body", "billing_emails"), ("body", "address", "line1"), ("body", "address", "city"),
        ("body", "address", "postal_code"), ("body", "address", "country"),
    }


def test_the_platform_links_projects_and_an_administrator_of_both_accounts_moves_them(
    client, open_account, person, service_token, outbox_events
):
    first_id, _, owner = open_account()
    second_id, _, _ = open_account("other")
    project = f"prj_{datetime.now(UTC).timestamp():.0f}_{first_id[-6:]}"
    platform = service_token()

    assert client.post(f"{ACCOUNTS}/{first_id}/projects", json={"project_id": project}, headers=owner).status_code == 403
    no_scope = client.post(f"{ACCOUNTS}/{first_id}/projects", json={"project_id": project}, headers=service_token("usage:write"))
    assert no_scope.status_code == 403 and "projects:write" in no_scope.json()["detail"]
    linked = client.post(f"{ACCOUNTS}/{first_id}/projects", json={"project_id": project}, headers=platform)
    assert linked.status_code == 201, linked.text
    again = client.post(f"{ACCOUNTS}/{first_id}/projects", json={"project_id": project}, headers=platform)
    assert (again.status_code, again.json()) == (200, linked.json())
    elsewhere = client.post(f"{ACCOUNTS}/{second_id}/projects", json={"project_id": project}, headers=platform)
    assert elsewhere.status_code == 409 and "move" in elsewhere.json()["detail"]
    assert [p["project_id"] for p in client.get(f"{ACCOUNTS}/{first_id}/projects", headers=owner).json()] == [project]
    bad = client.post(f"{ACCOUNTS}/{first_id}/projects", json={"project_id": "../x"}, headers=platform)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "project_id"]
    assert client.post(f"{ACCOUNTS}/ba_0000000000000000/projects", json={"project_id": "p1"}, headers=platform).status_code == 404

    # The owner of the first account is not a member of the second: it does not exist for them.
    move = {"to_billing_account_id": second_id}
    refused = client.post(f"{ACCOUNTS}/{first_id}/projects/{project}/move", json=move, headers=owner)
    assert (refused.status_code, refused.json()["detail"]) == (404, f"billing account {second_id} not found")
    # To an account they administer, they may move it.
    owner_email = client.get(f"{ACCOUNTS}/{first_id}/members", headers=owner).json()[0]["email"]
    second_id_2, _, second_owner_headers = open_account("third")
    added = client.post(f"{ACCOUNTS}/{second_id_2}/members", json={"email": owner_email, "role": "admin"},
                        headers=second_owner_headers)
    assert added.status_code == 201
    moved = client.post(f"{ACCOUNTS}/{first_id}/projects/{project}/move",
                        json={"to_billing_account_id": second_id_2}, headers=owner)
    assert moved.status_code == 200, moved.text
    assert moved.json()["billing_account_id"] == second_id_2
    assert client.get(f"{ACCOUNTS}/{first_id}/projects", headers=owner).json() == []
    assert [p["project_id"] for p in client.get(f"{ACCOUNTS}/{second_id_2}/projects", headers=owner).json()] == [project]

    history = client.get(f"/v1/projects/{project}/links", headers=platform).json()
    assert [(h["billing_account_id"], h["linked_until"] is None) for h in history] == [(first_id, False), (second_id_2, True)]
    switched = datetime.fromisoformat(history[1]["linked_from"])
    before = client.get(f"/v1/projects/{project}/billing-account",
                        params={"at": (switched - timedelta(microseconds=1)).isoformat()}, headers=platform)
    after = client.get(f"/v1/projects/{project}/billing-account", params={"at": switched.isoformat()}, headers=platform)
    assert (before.json()["billing_account_id"], after.json()["billing_account_id"]) == (first_id, second_id_2)

    # Each link, once (not the retried one), is published for the services that bill usage.
    [first_link] = outbox_events("project.linked", first_id)
    [move] = outbox_events("project.linked", second_id_2)
    assert (first_link.project_id, first_link.previous_billing_account_id) == (project, None)
    assert (move.project_id, move.previous_billing_account_id, move.linked_from) == (project, first_id, switched)
    assert first_link.linked_from == datetime.fromisoformat(history[0]["linked_from"])
    assert client.get(f"/v1/projects/{project}/billing-account", params={"at": switched.isoformat()},
                      headers=owner).status_code == 403
