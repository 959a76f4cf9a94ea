"""The walking skeleton's story, told as upstream services and customers would tell it.

Two billing accounts; usage for both published straight to `usage.recorded` (with
duplicates); a good card for one, a card that attaches but fails when charged for the other;
the period closed by an operator; then the first invoice paid with the right amount, the
second "payment due", and an "action required" email for the second account only.

The system test runs it against the four services as processes; `make demo` prints it.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from email.message import EmailMessage
from importlib.resources import files
from pathlib import Path

import httpx
import stripe
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from billing_contracts import UsageRecordedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.settings import ServiceSettings

from devstack.endpoints import Endpoints
from devstack.mailbox import Mailbox

OPERATOR = "operator@billing.local"
GOOD_CARD, FAILING_CARD = "4242424242424242", "4000000000000341"
# (meter, quantity) per account; the first event of each is sent twice (a producer retry).
USAGE = [("compute.vcpu_hours", "10.5"), ("storage.gb_months", "120.25"), ("network.egress_gb", "3.3")]


@dataclass
class Customer:
    name: str
    email: str
    card: str
    account_id: str = ""
    invoice: dict = field(default_factory=dict)
    expected_cents: int = 0


@dataclass
class StoryResult:
    paid: Customer
    failing: Customer
    action_required_emails: list[EmailMessage]
    action_required_to_paying_customer: list[EmailMessage]
    subjects_to_paying_customer: list[str]


def expected_cents(currency: str = "USD") -> int:
    """The invoice total from the price book: each line rounded half-even, then summed."""
    book = json.loads(files("invoicing").joinpath("price_book.json").read_text())
    prices = _unit_prices(book, currency)
    return sum(
        int((Decimal(quantity) * prices[meter] * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        for meter, quantity in USAGE
    )


def _unit_prices(book: dict, currency: str) -> dict[str, Decimal]:
    meters = book["meters"] if isinstance(book, dict) and "meters" in book else book
    found = {}
    for meter in meters:
        code = meter.get("code")
        prices = meter.get("prices") or meter.get("unit_prices") or {}
        found[code] = Decimal(str(prices[currency]))
    return found


class Story:
    def __init__(self, urls: dict[str, str], endpoints: Endpoints, say: Callable[[str], None] = lambda _: None) -> None:
        self.urls = urls
        self.endpoints = endpoints
        self.say = say
        self.settings = ServiceSettings()
        self.http = httpx.Client(timeout=10)
        self.stripe = stripe.StripeClient(endpoints.stripe_api_key, base_addresses={"api": endpoints.stripe_api_base} if endpoints.stripe_api_base else {})
        run = uuid.uuid4().hex[:8]
        self.paying = Customer("Acme Rockets", f"billing+acme-{run}@example.com", GOOD_CARD)
        self.failing = Customer("Globex Labs", f"billing+globex-{run}@example.com", FAILING_CARD)

    def token(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {development_token(email, self.settings)}"}

    def run(self, between_steps: Callable[[str], None] = lambda _: None) -> StoryResult:
        for customer in (self.paying, self.failing):
            self.open_account(customer)
        between_steps("accounts open")
        for customer in (self.paying, self.failing):
            self.add_card(customer)
        between_steps("cards added")
        asyncio.run(self.publish_usage())
        self.close_period()
        between_steps("period closed")
        self.paying.invoice = self.wait_for_invoice(self.paying, "paid")
        self.failing.invoice = self.wait_for_invoice(self.failing, "payment_due")
        emails = self.wait_for_action_required()
        mailbox = Mailbox(Path(self.endpoints.maildir))
        return StoryResult(self.paying, self.failing, emails,
                           [m for m in mailbox.sent_to(self.paying.email) if m["Subject"].startswith("Action required")],
                           [m["Subject"] for m in mailbox.sent_to(self.paying.email)])

    def open_account(self, customer: Customer) -> None:
        answer = self.http.post(f"{self.urls['accounts']}/v1/billing-accounts", headers=self.token(customer.email),
                                json={"name": customer.name, "currency": "USD", "billing_email": customer.email})
        answer.raise_for_status()
        customer.account_id = answer.json()["id"]
        self.say(f"{customer.email} opened billing account {customer.account_id} ({customer.name})")

    def add_card(self, customer: Customer) -> None:
        # As the browser does with Stripe.js: the card goes to Stripe, we only see its id.
        card = self.stripe.v1.payment_methods.create(params={
            "type": "card", "card": {"number": customer.card, "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
        url = f"{self.urls['payments']}/v1/billing-accounts/{customer.account_id}/payment-methods"
        answer = self._until_known(lambda: self.http.post(url, headers=self.token(customer.email),
                                                          json={"payment_method_id": card.id}))
        answer.raise_for_status()
        body = answer.json()
        self.say(f"{customer.name} added a {body.get('brand')} card ending {body.get('last4')} (primary: {body.get('is_primary')})")

    def _until_known(self, call: Callable[[], httpx.Response], timeout: float = 30) -> httpx.Response:
        """Another service learns of a new account from its snapshot within moments: until then, 404."""
        deadline = time.monotonic() + timeout
        while (answer := call()).status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.3)
        return answer

    async def publish_usage(self) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.endpoints.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
        await producer.start()
        sent = 0
        try:
            for customer in (self.paying, self.failing):
                for number, (meter, quantity) in enumerate(USAGE):
                    event = UsageRecordedV1(billing_account_id=customer.account_id, project_id=f"prj_{customer.account_id[-6:]}",
                                            meter=meter, quantity=Decimal(quantity), occurred_at=datetime.now(UTC))
                    envelope = new_envelope(event, source="/platform/compute")
                    for _ in range(2 if number == 0 else 1):
                        await producer.send_and_wait("usage.recorded", envelope.to_bytes(), key=envelope.kafka_key())
                        sent += 1
        finally:
            await producer.stop()
        self.say(f"the platform published {sent} usage events to usage.recorded ({2 * len(USAGE)} distinct, 2 duplicates)")
        await wait_for_lag_zero(self.endpoints.kafka_bootstrap_servers, "invoicing", "usage.recorded")
        self.say("invoicing has consumed all of them")

    def close_period(self) -> None:
        period = datetime.now(UTC).strftime("%Y-%m")
        answer = self.http.post(f"{self.urls['invoicing']}/v1/billing-periods/close", headers=self.token(OPERATOR), json={"period": period})
        answer.raise_for_status()
        self.say(f"an operator closed period {period}: {answer.json()}")

    def wait_for_invoice(self, customer: Customer, status: str, timeout: float = 60) -> dict:
        url = f"{self.urls['invoicing']}/v1/billing-accounts/{customer.account_id}/invoices"
        deadline, invoices = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            invoices = self.http.get(url, headers=self.token(customer.email)).json()
            if isinstance(invoices, dict):
                invoices = invoices.get("invoices", invoices.get("items", []))
            if invoices and invoices[0]["status"] == status:
                self.say(f"{customer.name}'s invoice {invoices[0]['number']} for {invoices[0]['amount_due']} cents is {status}")
                return invoices[0]
            time.sleep(0.3)
        raise AssertionError(f"{customer.name}'s invoice did not become {status}: {invoices}")

    def wait_for_action_required(self, timeout: float = 60) -> list[EmailMessage]:
        mailbox = Mailbox(Path(self.endpoints.maildir))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            emails = [m for m in mailbox.sent_to(self.failing.email) if m["Subject"].startswith("Action required")]
            if emails:
                self.say(f"{self.failing.email} received: {emails[0]['Subject']!r}")
                return emails
            time.sleep(0.3)
        raise AssertionError(f"no action-required email reached {self.failing.email}")


async def wait_for_lag_zero(bootstrap: str, group: str, topic: str, timeout: float = 60) -> None:
    """Until `group` has committed every offset of `topic` (what an SRE reads as lag)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        (described,) = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        deadline = time.monotonic() + timeout
        while True:
            ends = await consumer.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(group)
            lag = sum(end - (committed[p].offset if p in committed else 0) for p, end in ends.items())
            if lag == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{group} still lags {lag} messages behind on {topic}")
            await asyncio.sleep(0.3)
    finally:
        await consumer.stop()
        await admin.close()
