"""Billing details rows: one per account that has given them."""

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from accounts.adapters.tables import BILLING_DETAILS
from accounts.domain.billing_details import BillingDetails, PostalAddress


async def billing_details_of(connection: AsyncConnection, billing_account_id: str) -> BillingDetails | None:
    row = (
        await connection.execute(select(BILLING_DETAILS).where(BILLING_DETAILS.c.billing_account_id == billing_account_id))
    ).first()
    return None if row is None else _details(row)


async def put_billing_details(tx: AsyncConnection, billing_account_id: str, details: BillingDetails) -> None:
    values = {
        "legal_name": details.legal_name,
        "billing_emails": list(details.billing_emails),
        "line1": details.address.line1,
        "line2": details.address.line2,
        "city": details.address.city,
        "postal_code": details.address.postal_code,
        "region": details.address.region,
        "country": details.address.country,
        "tax_id": details.tax_id,
    }
    await tx.execute(
        upsert(BILLING_DETAILS)
        .values(billing_account_id=billing_account_id, **values)
        .on_conflict_do_update(index_elements=["billing_account_id"], set_=values)
    )


def _details(row: Row) -> BillingDetails:
    return BillingDetails(
        legal_name=row.legal_name,
        billing_emails=tuple(row.billing_emails),
        address=PostalAddress(
            line1=row.line1, line2=row.line2, city=row.city, postal_code=row.postal_code, region=row.region,
            country=row.country,
        ),
        tax_id=row.tax_id,
    )
