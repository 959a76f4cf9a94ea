"""Operators change the price book over HTTP; producers post usage over HTTP; usage the consumer
can never count (from the future, negative) goes to the dead-letter topic with its reason."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from billing_contracts import UsageRecordedV1, new_envelope, parse_event
from billing_runtime.auth import development_token
from billing_runtime.clock import FixedClock
from billing_runtime.messaging.dead_letter_cli import read_dead_letters, why
from billing_runtime.messaging.dead_letters import Delivery
from billing_runtime.messaging.tables import OUTBOX
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from invoicing.domain.usage import UsageWindow
from invoicing.entrypoints.http import create_app
from invoicing.settings import InvoicingSettings

OPERATOR, PRODUCER = "operator@billing.local", "usage-producer@billing.local"


@pytest.fixture
def settings(stack, invoicing_url) -> InvoicingSettings:
    return InvoicingSettings(kafka_bootstrap_servers=stack.kafka_bootstrap_servers, database_url=invoicing_url)


def bearer(email: str, settings) -> dict:
    return {"Authorization": f"Bearer {development_token(email, settings)}"}


def test_operators_add_meters_and_price_versions_and_bad_prices_are_refused(settings):
    code = f"api.requests_{uuid.uuid4().hex[:8]}"
    future = (datetime.now(UTC) + timedelta(days=400)).replace(microsecond=0).isoformat()
    with TestClient(create_app(settings)) as client:
        op = bearer(OPERATOR, settings)
        assert client.post("/v1/meters", json={"code": code, "unit": "request"}, headers=bearer("x@example.com", settings)).status_code == 403
        assert client.post("/v1/meters", json={"code": code, "unit": "request", "aggregation": "count"}, headers=op).status_code == 201
        assert client.post("/v1/meters", json={"code": code, "unit": "request"}, headers=op).status_code == 409
        assert client.post("/v1/meters", json={"code": "Bad Code", "unit": "x"}, headers=op).status_code == 422
        assert code in [m["code"] for m in client.get("/v1/meters", headers=op).json()]

        graduated = {"meter": code, "currency": "USD", "model": "graduated", "effective_from": future,
                     "tiers": [{"up_to": "1000", "unit_price": "0.001"}, {"from": "1000", "unit_price": "0.0005"}]}
        refusals = {
            "overlap": {**graduated, "tiers": [{"up_to": "1000", "unit_price": "1"}, {"from": "900", "unit_price": "1"}]},
            "ISO 4217": {**graduated, "currency": "XYZ"},
            "does not have": {**graduated, "meter": f"nothing.{uuid.uuid4().hex[:6]}"},
            "in the past": {**graduated, "effective_from": "2020-01-01T00:00:00Z"},
            "tiers only": {**graduated, "unit_price": "1"},
        }
        for message, body in refusals.items():
            answer = client.post("/v1/prices", json=body, headers=op)
            assert answer.status_code == 422 and message in answer.json()["detail"], (message, answer.json())
        assert client.get("/v1/prices", params={"meter": code}, headers=op).json() == []

        created = client.post("/v1/prices", json=graduated, headers=op)
        assert created.status_code == 201 and created.json()["terms"] == "graduated: 0-1000 at 0.001; above 1000 at 0.0005"
        assert client.post("/v1/prices", json=graduated, headers=op).status_code == 409
        [listed] = client.get("/v1/prices", params={"meter": code}, headers=op).json()
        assert listed["tiers"][0] == {"up_to": "1000", "unit_price": "0.001", "flat_fee": "0"}
        assert client.get("/v1/prices", params={"meter": code, "at": datetime.now(UTC).isoformat()}, headers=op).json() == []


async def test_producers_post_a_batch_and_learn_which_events_were_refused_and_why(settings, engine):
    account, now = f"ba_{uuid.uuid4().hex[:12]}", datetime.now(UTC)
    good = {"billing_account_id": account, "project_id": "prj", "meter": "compute.vcpu_hours", "quantity": "1.5",
            "occurred_at": now.isoformat()}
    ids = [str(uuid.uuid4()) for _ in range(2)]
    batch = [{**good, "event_id": ids[0]}, {**good, "quantity": "-1"}, {**good, "meter": "gpu.hours"},
             {**good, "occurred_at": (now + timedelta(hours=2)).isoformat()}, {**good, "event_id": "nope"},
             {**good, "quantity": "ten"}, {**good, "event_id": ids[1], "properties": {"region": "eu"}},
             {**good, "occurred_at": (now - timedelta(days=62)).isoformat()}]  # older than its id is remembered
    with TestClient(create_app(settings, clock=FixedClock(now))) as client:
        assert client.post("/v1/usage", json={"events": batch}, headers=bearer(f"member@{account}.example", settings)).status_code == 403
        answer = client.post("/v1/usage", json={"events": batch}, headers=bearer(PRODUCER, settings))
        assert answer.status_code == 202
        assert answer.json()["accepted"] == [{"index": 0, "event_id": ids[0]}, {"index": 6, "event_id": ids[1]}]
        assert [(r["index"], r["field"]) for r in answer.json()["rejected"]] == [
            (1, "quantity"), (2, "meter"), (3, "occurred_at"), (4, "event_id"), (5, "quantity"), (7, "occurred_at")]
        again = client.post("/v1/usage", json={"events": batch[:1]}, headers=bearer(PRODUCER, settings))  # a retry
        assert again.json()["accepted"] == [{"index": 0, "event_id": ids[0]}]
        too_many = client.post("/v1/usage", json={"events": [good] * 1001}, headers=bearer(PRODUCER, settings))
        assert too_many.status_code == 422
    async with engine.connect() as connection:
        rows = (await connection.execute(select(OUTBOX.c.payload).where(OUTBOX.c.key == account))).all()
    published = [parse_event(row.payload) for row in rows]
    assert sorted(str(e.id) for e in published) == sorted(ids) and {e.type for e in published} == {"usage.recorded"}
    assert {e.data.quantity for e in published} == {Decimal("1.5")}


async def test_usage_outside_the_window_and_negative_quantities_are_dead_lettered_with_a_reason(usage_consumer, stack):
    account, now = f"ba_{uuid.uuid4().hex[:12]}", datetime(2300, 5, 10, tzinfo=UTC)
    consumer = usage_consumer(FixedClock(now), UsageWindow(max_ahead=timedelta(hours=1)))
    usage = lambda at: new_envelope(UsageRecordedV1(billing_account_id=account, project_id="prj", meter="compute.vcpu_hours",
                                                    quantity=Decimal(1), occurred_at=at), source="/tests")
    on_time, future, too_old = usage(now), usage(now + timedelta(hours=1, minutes=1)), usage(now - timedelta(days=62))
    negative = json.loads(usage(now).to_bytes())
    negative["data"]["quantity"] = "-3"
    await consumer.consume([Delivery("usage.recorded", 0, n, account.encode(), value) for n, value in
                            enumerate([on_time.to_bytes(), future.to_bytes(), json.dumps(negative).encode(), too_old.to_bytes()])])
    dead = [r for r in await read_dead_letters(stack.kafka_bootstrap_servers, "usage.recorded") if r.key == account.encode()]
    reasons = {json.loads(r.value)["id"]: why(r) for r in dead}
    assert set(reasons) == {str(future.id), negative["id"], str(too_old.id)}
    assert "UsageFromTheFuture" in reasons[str(future.id)]["error"]
    assert reasons[str(too_old.id)]["reason"] == "usage_too_old"
    assert "quantity" in json.dumps(reasons[negative["id"]])


async def test_an_event_id_written_in_two_forms_is_one_event_counted_once(engine, usage_consumer):
    """The fast reading keeps canonical ids as text; an upper-case one takes the contracts'
    reading (a UUID). The inbox compares both as the same event, in one batch and across two."""
    account, now = f"ba_{uuid.uuid4().hex[:12]}", datetime(2300, 5, 10, tzinfo=UTC)
    consumer = usage_consumer(FixedClock(now))
    sent = [json.loads(new_envelope(UsageRecordedV1(
        billing_account_id=account, project_id="prj", meter="compute.vcpu_hours", quantity=Decimal(q), occurred_at=now,
    ), source="/tests").to_bytes()) for q in (1, 10)]
    shouted = [{**document, "id": document["id"].upper()} for document in sent]
    assert consumer.read(json.dumps(sent[0]).encode()).id == sent[0]["id"]  # the fast path
    as_delivery = lambda n, document: Delivery("usage.recorded", 0, n, account.encode(), json.dumps(document).encode())
    await consumer.consume([as_delivery(0, sent[0]), as_delivery(1, shouted[0])])  # one batch
    await consumer.consume([as_delivery(2, shouted[1])])
    await consumer.consume([as_delivery(3, sent[1]), as_delivery(4, sent[0])])  # across batches
    async with engine.connect() as connection:
        counted = (await connection.execute(text(
            "SELECT quantity, event_count FROM usage_totals WHERE billing_account_id = :a"), {"a": account})).one()
    assert tuple(counted) == (Decimal(11), 2)
