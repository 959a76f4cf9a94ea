"""Contracts shared by every billing service: topics, the message envelope and event schemas.

Schemas only: this package imports no service and depends on pydantic alone.
"""

from billing_contracts.envelope import Envelope, new_envelope, parse_event
from billing_contracts.errors import (
    ContractError,
    FieldProblem,
    InvalidEvent,
    MalformedMessage,
    UnknownEventType,
    UnknownSchemaVersion,
)
from billing_contracts.events import (
    EVENTS,
    AccountMember,
    BillingAccountChangedV1,
    BillingAccountStatus,
    BillingAddress,
    ChargeFailedV1,
    ChargeFailureKind,
    ChargeSucceededV1,
    Event,
    EventRegistry,
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
from billing_contracts.topics import TOPICS, Cleanup, Topic, dead_letter_topic, topic

__all__ = [
    "EVENTS",
    "TOPICS",
    "AccountMember",
    "BillingAccountChangedV1",
    "BillingAccountStatus",
    "BillingAddress",
    "ChargeFailedV1",
    "ChargeFailureKind",
    "ChargeSucceededV1",
    "Cleanup",
    "ContractError",
    "Envelope",
    "Event",
    "EventRegistry",
    "FieldProblem",
    "InvalidEvent",
    "InvoiceFinalizedV1",
    "InvoiceNotPaidV1",
    "InvoicePaidV1",
    "InvoicePaymentDueV1",
    "InvoiceVoidedV1",
    "MalformedMessage",
    "MemberRole",
    "PaymentMethodsChangedV1",
    "PrimaryPaymentMethod",
    "ProjectLinkedV1",
    "Topic",
    "UnknownEventType",
    "UnknownSchemaVersion",
    "UsageRecordedV1",
    "dead_letter_topic",
    "new_envelope",
    "parse_event",
    "topic",
]
