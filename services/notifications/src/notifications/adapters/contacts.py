"""The contact directory in the notifications database."""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.adapters.tables import CONTACTS
from notifications.domain.contacts import Contact, Member


async def lock_account(transaction: AsyncConnection, billing_account_id: str) -> None:
    """Serialize, until commit, the work on one account's contact and held events.

    A `charge.failed` that finds no contact holds itself back, and the snapshot that brings
    the contact releases what is held; without this lock the two could pass each other
    unseen, leaving an event held for good.
    """
    key = func.hashtextextended(f"notifications.contact:{billing_account_id}", 0)
    await transaction.execute(select(func.pg_advisory_xact_lock(key)))


async def save_contact(transaction: AsyncConnection, contact: Contact) -> bool:
    """Store the contact unless a newer version is already held; returns whether it was stored."""
    values = {
        "billing_account_id": contact.billing_account_id,
        "name": contact.name,
        "billing_emails": list(contact.billing_emails),
        "members": [{"email": m.email, "role": m.role} for m in contact.members],
        "version": contact.version,
    }
    statement = (
        upsert(CONTACTS)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["billing_account_id"],
            set_={name: value for name, value in values.items() if name != "billing_account_id"},
            where=CONTACTS.c.version < contact.version,
        )
        .returning(CONTACTS.c.version)
    )
    return (await transaction.execute(statement)).first() is not None


async def load_contact(connection: AsyncConnection, billing_account_id: str) -> Contact | None:
    row = (await connection.execute(select(CONTACTS).where(CONTACTS.c.billing_account_id == billing_account_id))).first()
    if row is None:
        return None
    return Contact(
        billing_account_id=row.billing_account_id,
        name=row.name,
        billing_emails=tuple(row.billing_emails),
        members=tuple(Member(m["email"], m["role"]) for m in row.members),
        version=row.version,
    )
