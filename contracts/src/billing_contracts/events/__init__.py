"""Every event contract, and `EVENTS`, the registry consumers parse messages with.

A breaking change to an event is a new class with the next schema version (for example
`UsageRecordedV2`), added here beside the old one and to its topic's `versions`; the old
class stays until no producer writes it and every message under it has expired.
"""

from billing_contracts.events.base import Event, EventRegistry
from billing_contracts.events.charges import ChargeFailedV1, ChargeFailureKind, ChargeSucceededV1
from billing_contracts.events.invoices import (
    InvoiceFinalizedV1,
    InvoiceNotPaidV1,
    InvoicePaidV1,
    InvoicePaymentDueV1,
    InvoiceVoidedV1,
)
from billing_contracts.events.projects import ProjectLinkedV1
from billing_contracts.events.snapshots import (
    AccountMember,
    BillingAccountChangedV1,
    BillingAccountStatus,
    BillingAddress,
    MemberRole,
    PaymentMethodsChangedV1,
    PrimaryPaymentMethod,
)
from billing_contracts.events.usage import UsageRecordedV1

EVENTS = EventRegistry(
    [
        UsageRecordedV1,
        InvoiceFinalizedV1,
        InvoicePaidV1,
        InvoicePaymentDueV1,
        InvoiceNotPaidV1,
        InvoiceVoidedV1,
        ChargeSucceededV1,
        ChargeFailedV1,
        BillingAccountChangedV1,
        PaymentMethodsChangedV1,
        ProjectLinkedV1,
    ]
)

__all__ = [
    "EVENTS",
    "AccountMember",
    "BillingAccountChangedV1",
    "BillingAccountStatus",
    "BillingAddress",
    "ChargeFailedV1",
    "ChargeFailureKind",
    "ChargeSucceededV1",
    "Event",
    "EventRegistry",
    "InvoiceFinalizedV1",
    "InvoiceNotPaidV1",
    "InvoicePaidV1",
    "InvoicePaymentDueV1",
    "InvoiceVoidedV1",
    "MemberRole",
    "PaymentMethodsChangedV1",
    "PrimaryPaymentMethod",
    "ProjectLinkedV1",
    "UsageRecordedV1",
]
