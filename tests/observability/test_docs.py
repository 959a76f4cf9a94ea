"""The published API documents are the code's: regenerate with `make docs`."""

import json
from pathlib import Path

import pytest
from devstack.docs import main as write_docs
from devstack.endpoints import SERVICES

from ..conftest import REPO


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("api")
    write_docs(out)
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_documents_match_the_code(generated, service):
    for kind in ("openapi", "asyncapi"):
        committed = REPO / "docs" / "api" / f"{service}.{kind}.json"
        assert committed.exists(), f"{committed} is missing: run make docs"
        assert json.loads(committed.read_text()) == json.loads((generated / committed.name).read_text()), \
            f"{committed} is stale: run make docs"


def test_every_service_documents_its_health_and_its_topics(generated):
    for service in SERVICES:
        asyncapi = json.loads((generated / f"{service}.asyncapi.json").read_text())
        openapi = json.loads((generated / f"{service}.openapi.json").read_text())
        assert "/healthz" in openapi["paths"] and "/readyz" in openapi["paths"]
        if service != "accounts":
            topics = {channel["address"] for channel in asyncapi["channels"].values()}
            assert "billing_account.changed" in topics, service
