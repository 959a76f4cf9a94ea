"""Fixtures for tests against the real PostgreSQL and the Stripe-compatible emulator.

Each test module gets a database of its own on the shared server (migrated from scratch), so
a worker pass sees only that module's charges. HTTP goes in-process without the app's
lifespan: no consumer, relay or worker runs, so nothing is published to the shared Kafka;
events are asserted in the outbox table.
"""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from billing_contracts import AccountMember, BillingAccountChangedV1, InvoiceFinalizedV1, new_envelope
from billing_runtime.auth import development_token
from billing_runtime.migrations import upgrade
from billing_runtime.stripe_client import create_stripe_client
from devstack.postgres import scratch_database
from sqlalchemy import select, text

from payments.adapters.tables import CHARGES, STRIPE_CUSTOMERS
from payments.bootstrap import MIGRATIONS
from payments.domain.webhooks import signature_header
from payments.entrypoints import stream
from payments.entrypoints.http import create_app
from payments.settings import PaymentsSettings

OWNER, VIEWER, STRANGER = "owner@acme.example", "viewer@acme.example", "stranger@else.example"


@pytest.fixture
def people():
    """Who is who on the accounts `new_account` creates."""

    class People:
        owner, viewer, stranger = OWNER, VIEWER, STRANGER

    return People


@pytest.fixture(scope="module")
def settings(stack) -> Iterator[PaymentsSettings]:
    with scratch_database(stack.postgres_url, "payments_test") as url:
        upgrade(MIGRATIONS, url)
        yield PaymentsSettings(database_url=url, kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
                               stripe_api_key=stack.stripe_api_key, stripe_api_base=stack.stripe_api_base)


@pytest.fixture
async def app(settings):
    app = create_app(settings)
    yield app
    await app.state.runtime.engine.dispose()


@pytest.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://payments") as client:
        yield client


@pytest.fixture
def engine(app):
    return app.state.runtime.engine


@pytest.fixture
def stripe_client(settings):
    return create_stripe_client(settings)


@pytest.fixture
def auth(settings):
    return lambda email: {"Authorization": f"Bearer {development_token(email, settings)}"}


class Handlers:
    """Stands in for `EventSubscriptions` to reach the service's handlers as registered."""

    def __init__(self) -> None:
        self.by_topic = {}

    def on(self, topic, **options):
        return lambda handler: self.by_topic.setdefault(topic, handler)

    async def deliver(self, engine, event, source: str) -> None:
        """One event through its handler, in a transaction as the messaging kit would."""
        async with engine.begin() as tx:
            await self.by_topic[event.event_type]([new_envelope(event, source=source)], tx)


@pytest.fixture
def handlers() -> Handlers:
    registered = Handlers()
    stream.subscribe(registered)
    return registered


@pytest.fixture
def new_account(engine, handlers):
    """A billing account with an owner and a viewer, as its snapshot seeds payments' replica."""

    async def create() -> str:
        account = f"ba_{uuid.uuid4().hex[:12]}"
        snapshot = BillingAccountChangedV1(
            billing_account_id=account, name="Acme", status="active", currency="USD",
            billing_emails=("billing@acme.example",),
            members=(AccountMember(user_id="usr_owner", email=OWNER, role="owner"),
                     AccountMember(user_id="usr_viewer", email=VIEWER, role="viewer")),
            version=1, changed_at=datetime.now(UTC),
        )
        await handlers.deliver(engine, snapshot, "/billing/accounts")
        return account

    return create


@pytest.fixture
def browser_card(stripe_client):
    """A payment method created as Stripe.js would in the customer's browser."""
    return lambda number, exp_month=12, exp_year=2031: stripe_client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"}}
    ).id


@pytest.fixture
def account_with_card(new_account, browser_card, http, auth):
    async def create(number: str) -> str:
        account = await new_account()
        added = await http.post(
            f"/v1/billing-accounts/{account}/payment-methods",
            json={"payment_method_id": browser_card(number)}, headers=auth(OWNER),
        )
        assert added.status_code == 201, added.text
        return account

    return create


@pytest.fixture
def finalize_invoice(engine, handlers):
    async def finalize(account: str, amount: int) -> str:
        invoice_id = f"inv_{uuid.uuid4().hex[:12]}"
        invoice = InvoiceFinalizedV1(
            billing_account_id=account, invoice_id=invoice_id, invoice_number=f"INV-{invoice_id[-6:]}",
            period_start=datetime(2026, 4, 1, tzinfo=UTC), period_end=datetime(2026, 5, 1, tzinfo=UTC),
            currency="USD", amount_due=amount, due_at=datetime(2026, 5, 15, tzinfo=UTC), finalized_at=datetime.now(UTC),
        )
        await handlers.deliver(engine, invoice, "/billing/invoicing")
        return invoice_id

    return finalize


@pytest.fixture
def outbox(engine):
    """The `data` of the events staged for `topic` about `account`, in order."""

    async def read(topic: str, account: str) -> list[dict]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT payload FROM outbox WHERE topic = :topic AND key = :key ORDER BY id"),
                {"topic": topic, "key": account},
            )
            return [json.loads(row.payload)["data"] for row in rows]

    return read


@pytest.fixture
def stored(engine):
    """Rows of payments' own tables, read back."""

    class Stored:
        async def charge(self, invoice_id: str):
            async with engine.connect() as connection:
                return (await connection.execute(select(CHARGES).where(CHARGES.c.invoice_id == invoice_id))).one()

        async def stripe_customers(self, account: str) -> list[str]:
            query = select(STRIPE_CUSTOMERS.c.stripe_customer_id).where(STRIPE_CUSTOMERS.c.billing_account_id == account)
            async with engine.connect() as connection:
                return list((await connection.execute(query)).scalars())

    return Stored()


@pytest.fixture
def deliver(engine, handlers):
    """An event of another service through payments' handler for its topic."""
    return lambda event, source="/billing/invoicing": handlers.deliver(engine, event, source)


@pytest.fixture
def payment_intents(stripe_client, stored):
    """The PaymentIntents the emulator holds for the account's customer (it cannot filter by customer)."""

    async def of(account: str) -> list:
        customers = await stored.stripe_customers(account)
        return [i for i in stripe_client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
                if i.customer in customers]

    return of


@pytest.fixture
def webhook(http, settings):
    """Deliver a Stripe event about a payment intent to the webhook endpoint, signed as Stripe would."""
    async def deliver(event_type: str, intent, event_id: str | None = None, signed_at: datetime | None = None,
                      secret: str | None = None):
        body = json.dumps({
            "id": event_id or f"evt_{uuid.uuid4().hex}", "object": "event", "type": event_type,
            "data": {"object": intent.to_dict() if hasattr(intent, "to_dict") else intent},
        }).encode()
        secret = secret or settings.stripe_webhook_secret.get_secret_value()
        header = signature_header(body, secret, signed_at or datetime.now(UTC))
        return await http.post("/v1/stripe/webhooks", content=body,
                               headers={"Stripe-Signature": header, "Content-Type": "application/json"})

    return deliver
