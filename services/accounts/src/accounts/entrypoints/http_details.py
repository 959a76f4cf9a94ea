"""Billing details: the legal name, billing emails, address and tax id every invoice defaults to."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from accounts.domain.billing_accounts import Role
from accounts.domain.billing_details import BillingDetails
from accounts.domain.errors import NotFound
from accounts.entrypoints.dependencies import ClockDep, RequestBody, Runtime
from accounts.entrypoints.principals import Person
from accounts.use_cases.access import account_for
from accounts.use_cases.set_billing_details import set_billing_details

router = APIRouter(prefix="/v1/billing-accounts/{billing_account_id}/billing-details", tags=["billing details"])


class AddressIn(RequestBody):
    line1: str | None = Field(default=None, description="Required.", examples=["Hauptstrasse 1"])
    line2: str | None = Field(default=None, examples=["3rd floor"])
    city: str | None = Field(default=None, description="Required.", examples=["Berlin"])
    postal_code: str | None = Field(default=None, description="Required.", examples=["10115"])
    region: str | None = Field(default=None, examples=["Berlin"])
    country: str | None = Field(default=None, description="Required: ISO 3166-1 alpha-2.", examples=["DE"])


class BillingDetailsIn(RequestBody):
    """Every field is checked by the accounts rules, which name each one missing or wrong."""

    legal_name: str | None = Field(default=None, description="Required.", examples=["Acme GmbH"])
    billing_emails: list[str] | None = Field(default=None, description="Required: 1 to 10.", examples=[["ap@acme.example"]])
    address: AddressIn | None = None
    tax_id: str | None = Field(default=None, examples=["DE123456789"])

    def flat(self) -> dict[str, Any]:
        address = self.address.model_dump() if self.address else {}
        return {
            "legal_name": self.legal_name, "billing_emails": self.billing_emails, "tax_id": self.tax_id,
            **{f"address.{key}": value for key, value in address.items()},
        }


class AddressOut(BaseModel):
    line1: str
    line2: str | None
    city: str
    postal_code: str
    region: str | None
    country: str


class BillingDetailsOut(BaseModel):
    legal_name: str
    billing_emails: list[str]
    address: AddressOut
    tax_id: str | None

    @classmethod
    def of(cls, details: BillingDetails) -> "BillingDetailsOut":
        a = details.address
        return cls(
            legal_name=details.legal_name,
            billing_emails=list(details.billing_emails),
            address=AddressOut(line1=a.line1, line2=a.line2, city=a.city, postal_code=a.postal_code, region=a.region, country=a.country),
            tax_id=details.tax_id,
        )


@router.put("", response_model=BillingDetailsOut)
async def put_details(
    billing_account_id: str, body: BillingDetailsIn, caller: Person, runtime: Runtime, clock: ClockDep
) -> BillingDetailsOut:
    async with runtime.engine.begin() as tx:
        account = await set_billing_details(billing_account_id, body.flat(), caller, tx, clock)
    assert account.billing_details is not None
    return BillingDetailsOut.of(account.billing_details)


@router.get("", response_model=BillingDetailsOut, responses={404: {"description": "Not a member, or no details yet"}})
async def get_details(billing_account_id: str, caller: Person, runtime: Runtime) -> BillingDetailsOut:
    async with runtime.engine.connect() as connection:
        account = await account_for(connection, billing_account_id, caller, Role.VIEWER)
    if account.billing_details is None:
        raise NotFound(f"billing account {billing_account_id} has no billing details yet")
    return BillingDetailsOut.of(account.billing_details)
