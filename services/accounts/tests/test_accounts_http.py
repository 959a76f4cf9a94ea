"""The accounts HTTP API in-process, against the real database and Kafka (the lifespan runs
the outbox relay, so a created account's snapshot reaches `billing_account.changed`)."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from billing_contracts import BillingAccountChangedV1, parse_event
from fastapi.testclient import TestClient


ACCOUNTS = "/v1/billing-accounts"


@pytest.fixture
def client(accounts_client) -> TestClient:
    return accounts_client


def _open_account(client: TestClient, headers: dict[str, str], **details: str):
    body = {"name": "Acme GmbH", "currency": "eur", "billing_email": "Billing@Acme.example"} | details
    return client.post(ACCOUNTS, json=body, headers=headers)


def test_the_creator_owns_the_account_and_only_members_see_it(client, person):
    _, ada = person("ada")
    _, eve = person("eve")

    created = _open_account(client, ada)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["id"].startswith("ba_") and len(account["id"]) == 19
    assert {k: account[k] for k in ("name", "currency", "status", "billing_email", "role")} == {
        "name": "Acme GmbH", "currency": "EUR", "status": "active", "billing_email": "billing@acme.example", "role": "owner",
    }
    assert created.headers["Location"] == f"{ACCOUNTS}/{account['id']}"

    overview = client.get(f"{ACCOUNTS}/{account['id']}", headers=ada).json()
    assert {k: overview[k] for k in account} == account
    assert client.get(ACCOUNTS, headers=ada).json() == [account]

    theirs = client.get(f"{ACCOUNTS}/{account['id']}", headers=eve)
    unknown = client.get(f"{ACCOUNTS}/ba_0000000000000000", headers=eve)
    assert (theirs.status_code, theirs.json()) == (404, {"detail": f"billing account {account['id']} not found"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "billing account ba_0000000000000000 not found"})
    assert client.get(ACCOUNTS, headers=eve).json() == []


@pytest.mark.parametrize(("method", "path"), [("POST", ACCOUNTS), ("GET", ACCOUNTS), ("GET", f"{ACCOUNTS}/ba_0000000000000000")])
def test_a_caller_without_a_valid_token_gets_401(client, method, path):
    body = {"name": "Acme", "currency": "EUR", "billing_email": "b@acme.example"}
    assert client.request(method, path, json=body).status_code == 401
    forged = client.request(method, path, json=body, headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


def test_bad_details_get_422_naming_each_field_and_create_nothing(client, person):
    _, ada = person("ada")
    refused = _open_account(client, ada, currency="EURO", billing_email="nobody")
    assert refused.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in refused.json()["detail"]}
    assert set(problems) == {("body", "currency"), ("body", "billing_email")}
    assert "ISO 4217" in problems[("body", "currency")]

    missing = client.post(ACCOUNTS, json={"name": "Acme", "currency": "EUR"}, headers=ada)
    assert missing.status_code == 422
    assert [p["loc"] for p in missing.json()["detail"]] == [["body", "billing_email"]]
    assert client.get(ACCOUNTS, headers=ada).json() == []


async def _snapshots_of(bootstrap: str, billing_account_id: str, timeout: float = 30.0) -> list:
    """Every message keyed `billing_account_id` on `billing_account.changed`, read by a new group."""
    consumer = AIOKafkaConsumer(
        "billing_account.changed",
        bootstrap_servers=bootstrap,
        group_id=f"accounts-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list = []
    try:
        async with asyncio.timeout(timeout):
            while not found:
                batches = await consumer.getmany(timeout_ms=500)
                found += [m for ms in batches.values() for m in ms if m.key == billing_account_id.encode()]
        batches = await consumer.getmany(timeout_ms=1000)  # a duplicate would come with the rest
        found += [m for ms in batches.values() for m in ms if m.key == billing_account_id.encode()]
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return found


async def test_the_snapshot_of_a_new_account_reaches_kafka(client, person, stack):
    ada_email, ada = person("ada")
    account = _open_account(client, ada, name="Kafka Ltd").json()

    messages = await _snapshots_of(stack.kafka_bootstrap_servers, account["id"])

    assert len(messages) == 1, "exactly one snapshot, published once"
    envelope = parse_event(messages[0].value)
    snapshot = envelope.data
    assert isinstance(snapshot, BillingAccountChangedV1)
    assert (envelope.type, snapshot.billing_account_id, snapshot.version) == ("billing_account.changed", account["id"], 1)
    assert (snapshot.name, snapshot.currency, snapshot.billing_emails) == ("Kafka Ltd", "EUR", ("billing@acme.example",))
    assert [(m.email, m.role.value) for m in snapshot.members] == [(ada_email, "owner")]
    assert dict(messages[0].headers)["ce_type"] == b"billing_account.changed"
