"""The composition root, checked without servers: nothing here connects."""

from billing_runtime.messaging.subscriptions import unsafe_subscribers

from payments.bootstrap import bootstrap
from payments.entrypoints.http import create_app
from payments.settings import PaymentsSettings


def test_the_service_consumes_its_topics_safely_and_runs_the_charging_worker(gateway):
    runtime = bootstrap(PaymentsSettings(), gateway=gateway)
    topics = sorted(name for subscriber in runtime.broker.subscribers for name in subscriber.topic_names)
    assert topics == ["billing_account.changed", "invoice.finalized"]
    assert unsafe_subscribers(runtime.broker) == []
    assert [worker.__name__ for worker in runtime.workers] == ["collect_charges"]


def test_the_app_serves_the_payment_methods_of_an_account(gateway):
    paths = create_app(PaymentsSettings(), gateway=gateway).openapi()["paths"]
    assert set(paths["/v1/billing-accounts/{billing_account_id}/payment-methods"]) == {"get", "post"}
