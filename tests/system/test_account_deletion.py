"""A deletion request, across the four services as processes: the account stops being able to
deploy at once, invoicing bills its open month at once, payments charges the card, and accounts
closes the account once that final invoice is paid."""

import asyncio
import time
from collections.abc import Iterator

import pytest
from devstack.endpoints import SERVICES
from devstack.ports import free_port
from devstack.pytest_plugin import local_stack
from devstack.services import ServiceProcesses
from devstack.story import Story, expected_cents

# The grace a deletion request stays pending (and cancellable) before the account may close.
GRACE_SECONDS = 3


@pytest.fixture(scope="module")
def platform(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcesses, object]]:
    with local_stack(pytestconfig) as endpoints:
        services = ServiceProcesses(
            endpoints, tmp_path_factory.mktemp("deletion"), {name: free_port() for name in SERVICES},
            extra_env={"ACCOUNT_DELETION_GRACE_SECONDS": str(GRACE_SECONDS), "ACCOUNT_CLOSING_INTERVAL_SECONDS": "0.5"},
        )
        services.start()
        try:
            yield services, endpoints
        finally:
            services.stop()


def _until(check, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_a_deletion_request_bills_the_month_at_once_and_the_account_closes_once_it_is_paid(platform):
    services, endpoints = platform
    story = Story(services.urls(), endpoints)
    customer = story.paying
    for opening in (story.paying, story.failing):  # the story publishes usage for both
        story.open_account(opening)
    story.add_card(customer)
    asyncio.run(story.publish_usage())  # this month's usage
    accounts, invoicing = services.urls()["accounts"], services.urls()["invoicing"]
    owner = story.token(customer.email)
    account_url = f"{accounts}/v1/billing-accounts/{customer.account_id}"
    _until(lambda: story.http.get(f"{account_url}/standing", headers=owner).json()["may_deploy"], "the card reaching accounts")

    requested = story.http.post(f"{account_url}/deletion-request", headers=owner)
    assert requested.status_code == 202, requested.text
    standing = story.http.get(f"{account_url}/standing", headers=owner).json()
    assert (standing["may_deploy"], standing["reasons"]) == (False, ["deletion_requested"])

    # No operator closes the month: the deletion request is what finalizes it, and the card pays.
    invoices_url = f"{invoicing}/v1/billing-accounts/{customer.account_id}/invoices"
    paid = _until(lambda: [i for i in story.http.get(invoices_url, headers=owner).json() if i["status"] == "paid"],
                  "the final invoice being paid")
    assert [(i["amount_due"], i["period"]) for i in paid] == [(expected_cents(), time.strftime("%Y-%m", time.gmtime()))]

    closed = _until(lambda: (a := story.http.get(account_url, headers=owner).json())["status"] == "closed" and a,
                    "the account closing", timeout=GRACE_SECONDS + 30)
    assert closed["status"] == "closed"
    assert story.http.get(f"{account_url}/standing", headers=owner).json()["reasons"] == ["closed"]
