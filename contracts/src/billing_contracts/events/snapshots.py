"""Snapshots on compacted topics: the whole current state of one billing account's entity.

Kafka keeps the latest snapshot per billing account for ever, so a new consumer rebuilds its
replica by reading the topic from the beginning. Each snapshot carries a `version` that
increases with every change; a replica applies a snapshot only if its version is greater
than the one it holds, so a late or replayed message never rolls the replica back.
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from billing_contracts.events.base import Event
from billing_contracts.values import CurrencyCode, EmailAddress, Identifier, SnapshotVersion, UtcDatetime

VERSION = Field(
    description="Increases with every change; replicas ignore a snapshot not newer than the one they hold.",
    examples=[7],
)
CHANGED_AT = Field(description="When this state came into effect (UTC).", examples=["2026-05-01T08:00:00Z"])


class BillingAccountStatus(StrEnum):
    ACTIVE = "active"
    DELETION_REQUESTED = "deletion_requested"
    """The owner asked to close the account; it closes once every invoice is settled."""
    CLOSED = "closed"


class MemberRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    VIEWER = "viewer"


class AccountMember(BaseModel):
    """A person with access to the billing account."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    user_id: Identifier = Field(description="The user, as the identity provider knows them.", examples=["usr_19dK"])
    email: EmailAddress = Field(description="Where the member receives email.", examples=["ada@example.com"])
    role: MemberRole = Field(description="What the member may do on the account.", examples=["owner"])


class BillingAddress(BaseModel):
    """The postal address printed on the account's invoices."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    line1: str = Field(min_length=1, max_length=200, description="Street and number.", examples=["Rheinstrasse 4"])
    line2: str | None = Field(default=None, max_length=200, description="Floor, suite, c/o.", examples=["3rd floor", None])
    city: str = Field(min_length=1, max_length=100, description="City or town.", examples=["Mainz"])
    postal_code: str = Field(min_length=1, max_length=20, description="Postal code.", examples=["55116"])
    region: str | None = Field(default=None, max_length=100, description="State or province.", examples=["RP", None])
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code.", examples=["DE"])


class BillingAccountChangedV1(Event):
    """The billing account as it is now, published by accounts after every change."""

    event_type: ClassVar[str] = "billing_account.changed"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "changed_at"

    name: str = Field(min_length=1, max_length=200, description="The account's display name.", examples=["Acme GmbH"])
    status: BillingAccountStatus = Field(description="Where the account is in its life.", examples=["active"])
    currency: CurrencyCode = Field(description="ISO 4217 currency the account is invoiced in.", examples=["EUR"])
    billing_emails: tuple[EmailAddress, ...] = Field(
        description="Where invoices and payment emails go; when empty, to the owners.",
        examples=[["billing@acme.example"], []],
    )
    members: tuple[AccountMember, ...] = Field(
        description="Everyone with access to the account, with their role.",
        examples=[[{"user_id": "usr_19dK", "email": "ada@example.com", "role": "owner"}]],
    )
    legal_name: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Who is invoiced, as printed on invoices; null until the billing details are set.",
        examples=["Acme Rockets GmbH", None],
    )
    billing_address: BillingAddress | None = Field(
        default=None, description="The address printed on invoices; null until the billing details are set.",
        examples=[{"line1": "Rheinstrasse 4", "city": "Mainz", "postal_code": "55116", "country": "DE"}, None],
    )
    tax_id: str | None = Field(
        default=None, max_length=50, description="The customer's tax id, printed on invoices when given.",
        examples=["DE123456789", None],
    )
    version: SnapshotVersion = VERSION
    changed_at: UtcDatetime = CHANGED_AT


class PrimaryPaymentMethod(BaseModel):
    """What may be shown of the card charged by default; never the card number."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    payment_method_id: Identifier = Field(
        description="The payment provider's id of the payment method.",
        examples=["pm_1Nq8Jr2eZvKYlo2C"],
    )
    brand: str = Field(min_length=1, max_length=50, description="The card network.", examples=["visa", "mastercard"])
    last4: str = Field(pattern=r"^\d{4}$", description="The last four digits of the card.", examples=["4242"])
    exp_month: int = Field(ge=1, le=12, description="Expiry month, 1 to 12.", examples=[12])
    exp_year: int = Field(ge=2000, le=2200, description="Expiry year, four digits.", examples=[2030])


class PaymentMethodsChangedV1(Event):
    """The account's payment methods as they are now, published by payments after every change."""

    event_type: ClassVar[str] = "payment_methods.changed"
    schema_version: ClassVar[int] = 1
    occurred_at_field: ClassVar[str | None] = "changed_at"

    has_primary: bool = Field(description="Whether the account has a payment method to charge.", examples=[True])
    primary: PrimaryPaymentMethod | None = Field(
        default=None,
        description="The payment method charged by default; null when there is none.",
        examples=[
            {
                "payment_method_id": "pm_1Nq8Jr2eZvKYlo2C",
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2030,
            },
            None,
        ],
    )
    count: int = Field(ge=0, description="How many payment methods the account has.", examples=[2])
    version: SnapshotVersion = VERSION
    changed_at: UtcDatetime = CHANGED_AT

    @model_validator(mode="after")
    def _primary_is_consistent(self) -> "PaymentMethodsChangedV1":
        if self.has_primary != (self.primary is not None):
            raise ValueError("has_primary must be true exactly when primary is given")
        if self.primary is not None and self.count < 1:
            raise ValueError("count must be at least 1 when there is a primary payment method")
        return self
