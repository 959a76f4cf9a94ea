"""Which emails an account wants: receipts and "invoice available" are optional; mail about a
payment that needs action (action required, authentication, final notice) always goes out."""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from notifications.domain.errors import MandatoryEmailCannotBeTurnedOff, UnknownPreference
from notifications.domain.mail import EmailKind

OPTIONAL = {"receipts": EmailKind.RECEIPT, "invoice_available": EmailKind.INVOICE_AVAILABLE}
"""Preference name -> the kind of email it turns on or off."""

MANDATORY_NAMES = frozenset({
    EmailKind.ACTION_REQUIRED.value, EmailKind.AUTHENTICATION_REQUIRED.value, EmailKind.FINAL_NOTICE.value,
    "action_required_emails", "payment_failed", "final_notices",
})
"""Names someone may try for the mandatory emails: refused with a reason, not as unknown."""


@dataclass(frozen=True)
class NotificationPreferences:
    receipts: bool
    invoice_available: bool

    def allows(self, kind: EmailKind) -> bool:
        """Whether an email of `kind` goes out; anything but the optional kinds always does."""
        if kind is EmailKind.RECEIPT:
            return self.receipts
        if kind is EmailKind.INVOICE_AVAILABLE:
            return self.invoice_available
        return True

    def changed(self, requested: Mapping[str, object]) -> "NotificationPreferences":
        """These preferences with `requested` applied (names not given stay as they are).

        Raises `MandatoryEmailCannotBeTurnedOff` for a name of an action-required email and
        `UnknownPreference` for any other name, or a value that is not true or false.
        """
        for name, value in requested.items():
            if name in MANDATORY_NAMES:
                raise MandatoryEmailCannotBeTurnedOff(name)
            if name not in OPTIONAL:
                raise UnknownPreference(name, tuple(OPTIONAL))
            if not isinstance(value, bool):
                raise UnknownPreference(f"{name}={value!r}", tuple(f"{known}: true|false" for known in OPTIONAL))
        return replace(self, **requested)  # type: ignore[arg-type]
