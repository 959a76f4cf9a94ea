"""Each service's app against the real stack: ready when its database and broker answer."""

import importlib

import pytest
from devstack.endpoints import SERVICES
from devstack.ports import free_port
from billing_runtime.migrations import upgrade
from fastapi.testclient import TestClient


def _app(service: str, migrate: bool = True, **overrides):
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    if migrate:
        upgrade(bootstrap.MIGRATIONS, overrides["database_url"])  # as a deployment migrates before it starts
    http = importlib.import_module(f"{service}.entrypoints.http")
    settings_module = importlib.import_module(f"{service}.settings")
    settings_class = next(v for k, v in vars(settings_module).items() if k.endswith("Settings") and k != "ServiceSettings")
    return http.create_app(settings_class(**overrides))


@pytest.mark.parametrize("service", SERVICES)
def test_ready_when_its_database_and_broker_answer(stack, service):
    app = _app(service, kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=stack.database_url(service))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok", "service": service}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "broker": True}


def test_not_ready_while_its_database_is_unreachable(stack):
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/accounts"
    app = _app("accounts", migrate=False, kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=nowhere)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": False, "broker": True}
