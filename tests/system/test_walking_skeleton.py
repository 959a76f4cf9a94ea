"""From usage to an email, across the four services as separate processes over Kafka, with the
real broker, databases, Stripe emulator and SMTP server, driven as upstream services and
customers would."""

from collections.abc import Iterator

import pytest
from devstack.endpoints import SERVICES
from devstack.ports import free_port
from devstack.pytest_plugin import local_stack
from devstack.services import ServiceProcesses
from devstack.story import Story, StoryResult, expected_cents


@pytest.fixture(scope="module")
def platform(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcesses, object]]:
    # A stack of its own: the other tests leave usage of their own on the shared topics.
    with local_stack(pytestconfig) as endpoints:
        services = ServiceProcesses(endpoints, tmp_path_factory.mktemp("system"), {name: free_port() for name in SERVICES})
        services.start()
        try:
            yield services, endpoints
        finally:
            services.stop()


def _assert_outcome(result: StoryResult) -> None:
    expected = expected_cents()
    assert result.paid.invoice["status"] == "paid"
    assert result.paid.invoice["amount_due"] == expected
    assert result.failing.invoice["status"] == "payment_due"
    assert result.failing.invoice["amount_due"] == expected
    (email,) = result.action_required_emails
    number = result.failing.invoice["number"]
    amount = f"${expected // 100}.{expected % 100:02d}"
    text = email.get_body(("plain",)).get_content()
    assert number in email["Subject"] and number in text
    assert amount in text
    assert result.failing.invoice["id"] in text, "the email links to the invoice"
    assert result.action_required_to_paying_customer == []


def test_usage_becomes_a_paid_invoice_and_a_failed_charge_becomes_an_email(platform):
    services, endpoints = platform
    _assert_outcome(Story(services.urls(), endpoints).run())


def test_the_story_told_again_ends_the_same(platform):
    services, endpoints = platform
    _assert_outcome(Story(services.urls(), endpoints).run())


@pytest.mark.parametrize("service", SERVICES)
def test_restarting_one_service_mid_story_changes_nothing(platform, service):
    services, endpoints = platform

    def restart_after_close(step: str) -> None:
        if step == "period closed":  # invoices, charges and emails are in flight now
            services.restart(service)

    _assert_outcome(Story(services.urls(), endpoints).run(between_steps=restart_after_close))
