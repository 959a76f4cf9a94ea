"""One valid instance of every event contract, for tests that need real events."""

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import create_model
from billing_contracts import (
    AccountMember,
    BillingAccountChangedV1,
    BillingAccountStatus,
    ChargeFailedV1,
    ChargeFailureKind,
    ChargeSucceededV1,
    Event,
    InvoiceFinalizedV1,
    InvoiceNotPaidV1,
    InvoicePaidV1,
    InvoicePaymentDueV1,
    InvoiceVoidedV1,
    MemberRole,
    PaymentMethodsChangedV1,
    PrimaryPaymentMethod,
    ProjectLinkedV1,
    UsageRecordedV1,
)

ACCOUNT = "ba_7Hq2kLm9"
MAY_1 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
INVOICE = {"invoice_id": "inv_8Fq2Lz", "invoice_number": "INV-2026-000123", "billing_account_id": ACCOUNT}
MONEY = {"amount": 4200, "currency": "EUR"}


def usage_recorded(**changes: Any) -> UsageRecordedV1:
    fields: dict[str, Any] = {
        "billing_account_id": ACCOUNT,
        "project_id": "prj_4kT9wQ",
        "meter": "compute.vcpu_hours",
        "quantity": Decimal("0.000001"),
        "occurred_at": MAY_1,
        "properties": {"region": "eu-west-1"},
    }
    return UsageRecordedV1(**(fields | changes))


def one_of_each() -> list[Event]:
    return [
        usage_recorded(),
        InvoiceFinalizedV1(
            **INVOICE,
            period_start=datetime(2026, 4, 1, tzinfo=UTC),
            period_end=datetime(2026, 5, 1, tzinfo=UTC),
            currency="EUR",
            amount_due=4200,
            due_at=datetime(2026, 5, 15, tzinfo=UTC),
            finalized_at=MAY_1,
        ),
        InvoicePaidV1(**INVOICE, **MONEY, paid_at=MAY_1),
        InvoicePaymentDueV1(**INVOICE, **MONEY, due_at=datetime(2026, 5, 15, tzinfo=UTC)),
        InvoiceNotPaidV1(**INVOICE, **MONEY, not_paid_at=MAY_1),
        InvoiceVoidedV1(**INVOICE, **MONEY, voided_at=MAY_1, reason="Issued in error."),
        ChargeSucceededV1(
            invoice_id="inv_8Fq2Lz", billing_account_id=ACCOUNT, attempt=1, **MONEY,
            payment_intent_id="pi_3Mtw2Lq2eZvKYlo2", paid_at=MAY_1,
        ),
        ChargeFailedV1(
            **INVOICE, attempt=2, **MONEY, failure_kind=ChargeFailureKind.INSUFFICIENT_FUNDS,
            decline_code="insufficient_funds", customer_message="Your card has insufficient funds.",
            next_retry_at=datetime(2026, 5, 4, tzinfo=UTC), final=False, failed_at=MAY_1,
        ),
        BillingAccountChangedV1(
            billing_account_id=ACCOUNT, name="Acme GmbH", status=BillingAccountStatus.ACTIVE, currency="EUR",
            billing_emails=["billing@acme.example"],
            members=[AccountMember(user_id="usr_19dK", email="ada@example.com", role=MemberRole.OWNER)],
            version=3, changed_at=MAY_1,
        ),
        PaymentMethodsChangedV1(
            billing_account_id=ACCOUNT, has_primary=True,
            primary=PrimaryPaymentMethod(
                payment_method_id="pm_1Nq8", brand="visa", last4="4242", exp_month=12, exp_year=2030
            ),
            count=2, version=5, changed_at=MAY_1,
        ),
        ProjectLinkedV1(
            billing_account_id=ACCOUNT, project_id="prj_4kT9wQ", linked_from=MAY_1,
            previous_billing_account_id="ba_3Jk8pQz1",
        ),
    ]


@pytest.fixture
def make_usage() -> Callable[..., UsageRecordedV1]:
    return usage_recorded


@pytest.fixture(params=one_of_each(), ids=lambda event: event.event_type)
def any_event(request: pytest.FixtureRequest) -> Event:
    return request.param


@pytest.fixture
def sample_events() -> dict[str, Event]:
    """One valid event per event type, by type."""
    return {event.event_type: event for event in one_of_each()}


def copy_of(event: type[Event], *, without: tuple[str, ...] = (), **changes: Any) -> type[Event]:
    """`event` rebuilt field by field, minus `without`, with `changes` as (annotation, default) pairs.

    The copy keeps the class name, type and version, so its schema differs from the
    original's only where the test changes it.
    """
    fields = {
        name: (info.annotation, copy.copy(info)) for name, info in event.model_fields.items() if name not in without
    }
    rebuilt = create_model(event.__name__, __base__=Event, __doc__=event.__doc__, **(fields | changes))
    rebuilt.event_type = event.event_type
    rebuilt.schema_version = event.schema_version
    rebuilt.occurred_at_field = event.occurred_at_field
    return rebuilt


@pytest.fixture
def contract_copy() -> Callable[..., type[Event]]:
    return copy_of
