"""/metrics tells an SRE what flows: HTTP, messages consumed, consumer lag, outbox backlog."""

import time

from accounts.bootstrap import MIGRATIONS as ACCOUNTS_MIGRATIONS
from accounts.entrypoints.http import create_app as accounts_app
from accounts.settings import AccountsSettings
from billing_runtime.auth import development_token
from billing_runtime.migrations import upgrade
from devstack.postgres import scratch_database
from fastapi.testclient import TestClient
from notifications.bootstrap import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from notifications.entrypoints.http import create_app as notifications_app
from notifications.settings import NotificationsSettings
from prometheus_client.parser import text_string_to_metric_families


def _samples(client: TestClient) -> dict[tuple[str, frozenset], float]:
    text = client.get("/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def test_metrics_follow_an_account_from_http_through_the_outbox_to_a_consumer(stack):
    with scratch_database(stack.postgres_url, "metrics_accounts") as accounts_url, \
         scratch_database(stack.postgres_url, "metrics_notifications") as notifications_url:
        upgrade(ACCOUNTS_MIGRATIONS, accounts_url)
        upgrade(NOTIFICATIONS_MIGRATIONS, notifications_url)
        accounts = accounts_app(AccountsSettings(database_url=accounts_url, kafka_bootstrap_servers=stack.kafka_bootstrap_servers))
        notifications = notifications_app(NotificationsSettings(
            database_url=notifications_url, kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
            smtp_host=stack.smtp_host, smtp_port=stack.smtp_port))
        with TestClient(accounts) as accounts_client, TestClient(notifications) as notifications_client:
            before = _samples(accounts_client)
            consumed_before = _value(_samples(notifications_client), "billing_messages_consumed_total",
                                     service="notifications", topic="billing_account.changed")
            token = development_token("metrics@example.com", accounts.state.runtime.settings)
            created = accounts_client.post("/v1/billing-accounts", headers={"Authorization": f"Bearer {token}"},
                                           json={"name": "Metered", "currency": "EUR", "billing_email": "m@example.com"})
            assert created.status_code == 201

            deadline = time.monotonic() + 60  # the shared topic may hold other tests' snapshots to catch up on
            while time.monotonic() < deadline:
                after, seen = _samples(accounts_client), _samples(notifications_client)
                published = _value(after, "billing_outbox_published_total", service="accounts", topic="billing_account.changed") \
                    - _value(before, "billing_outbox_published_total", service="accounts", topic="billing_account.changed")
                consumed = _value(seen, "billing_messages_consumed_total", service="notifications",
                                  topic="billing_account.changed") - consumed_before
                lag = [v for (n, ls), v in seen.items()
                       if n == "billing_consumer_lag" and ("topic", "billing_account.changed") in ls]
                # The backlog is read from the database just before the counters are rendered:
                # a relay committing in between shows the row published and still in the backlog.
                backlog = _value(after, "billing_outbox_backlog", service="accounts")
                if published >= 1 and consumed >= 1 and lag and sum(lag) == 0 and backlog == 0:
                    break
                time.sleep(0.3)
            assert published >= 1, "the relay's publication is counted"
            assert consumed >= 1, "the consumer's applied messages are counted"
            assert lag and sum(lag) == 0, f"lag per partition is reported and drains: {lag}"
            assert backlog == 0, "the outbox backlog is reported and drains"
            assert ("billing_outbox_oldest_age_seconds", frozenset({("service", "accounts")})) in after
            requests = _value(after, "billing_http_requests_total", service="accounts", route="/v1/billing-accounts",
                              method="POST", status="201")
            assert requests >= 1
