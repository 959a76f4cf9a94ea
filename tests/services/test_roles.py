"""Each service runs as the HTTP role, the consumer role, or both, so the two scale apart."""

from accounts.bootstrap import MIGRATIONS
from accounts.entrypoints.http import create_app
from accounts.settings import AccountsSettings
from billing_runtime.auth import development_token
from billing_runtime.migrations import upgrade
from fastapi.testclient import TestClient


def _client(stack, role: str) -> TestClient:
    url = stack.database_url("accounts")
    upgrade(MIGRATIONS, url)
    return TestClient(create_app(AccountsSettings(database_url=url, kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
                                                  service_role=role)))


def test_the_http_role_serves_the_api_without_connecting_to_kafka(stack):
    with _client(stack, "http") as client:
        runtime = client.app.state.runtime
        token = development_token("roles@example.com", runtime.settings)
        listed = client.get("/v1/billing-accounts", headers={"Authorization": f"Bearer {token}"})
        ready = client.get("/readyz").json()
        assert listed.status_code == 200
        assert ready["checks"] == {"database": True}
        assert not runtime.broker.running
        assert client.get("/metrics").status_code == 200


def test_the_consumer_role_consumes_and_relays_but_serves_no_api(stack):
    with _client(stack, "consumer") as client:
        runtime = client.app.state.runtime
        assert client.get("/v1/billing-accounts").status_code == 404
        assert client.get("/readyz").json()["checks"] == {"database": True, "broker": True}
        assert runtime.broker.running
        assert client.get("/metrics").status_code == 200
