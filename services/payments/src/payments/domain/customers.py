"""Who the payment provider's customer of an account is: the address receipts go to."""

from billing_contracts import BillingAccountChangedV1, MemberRole


def customer_email(account: BillingAccountChangedV1) -> str | None:
    """The first billing email, else the first owner's email (the snapshot says they get the mail)."""
    if account.billing_emails:
        return account.billing_emails[0]
    owners = [member.email for member in account.members if member.role is MemberRole.OWNER]
    return owners[0] if owners else None
