"""The composition root, checked without servers: nothing here connects."""

import pytest
from billing_runtime.messaging.subscriptions import unsafe_subscribers

from payments.bootstrap import bootstrap
from payments.entrypoints.http import create_app
from payments.settings import PaymentsSettings


def test_the_service_consumes_its_topics_safely_and_runs_the_charging_worker(gateway):
    runtime = bootstrap(PaymentsSettings(), gateway=gateway)
    topics = sorted(name for subscriber in runtime.broker.subscribers for name in subscriber.topic_names)
    assert topics == ["billing_account.changed", "invoice.finalized", "invoice.paid", "invoice.voided"]
    assert unsafe_subscribers(runtime.broker) == []
    assert [worker.__qualname__ for worker in runtime.workers] == [
        "periodic forget_expired_ids", "charging_worker.<locals>.collect_charges"]


def test_the_app_serves_the_payment_methods_of_an_account(gateway):
    paths = create_app(PaymentsSettings(), gateway=gateway).openapi()["paths"]
    assert set(paths["/v1/billing-accounts/{billing_account_id}/payment-methods"]) == {"get", "post"}
    assert set(paths["/v1/billing-accounts/{billing_account_id}/payment-methods/{payment_method_id}"]) == {"delete"}
    assert set(paths["/v1/billing-accounts/{billing_account_id}/payment-methods/{payment_method_id}/primary"]) == {"post"}
    assert set(paths["/v1/billing-accounts/{billing_account_id}/setup-intents"]) == {"post"}
    assert set(paths["/v1/invoices/{invoice_id}/payments"]) == {"post"}
    assert set(paths["/v1/stripe/webhooks"]) == {"post"}


def test_the_retry_schedule_is_read_from_the_environment(monkeypatch):
    assert PaymentsSettings().retry_schedule.max_attempts == 7
    monkeypatch.setenv("PAYMENTS_RETRY_SCHEDULE_HOURS", "[1, 2.5]")
    assert [d.total_seconds() for d in PaymentsSettings().retry_schedule.delays] == [3600, 9000]
    monkeypatch.setenv("PAYMENTS_RETRY_SCHEDULE_HOURS", "[5, 2]")
    with pytest.raises(ValueError, match="increase"):
        PaymentsSettings()
