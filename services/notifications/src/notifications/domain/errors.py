"""The errors notifications' rules and ports raise."""


class NotificationsError(Exception):
    """Base of every error of the notifications service."""


class MailDeliveryFailed(NotificationsError):
    """The mail server did not take the email."""


class TemporaryMailFailure(MailDeliveryFailed):
    """Worth trying again later: the server is away, busy, or refused with a 4xx reply."""


class PermanentMailFailure(MailDeliveryFailed):
    """Trying again will not help: the server refused the recipient or the message (5xx)."""


class PreferenceRefused(NotificationsError):
    """A change of an account's notification preferences that cannot be made."""


class MandatoryEmailCannotBeTurnedOff(PreferenceRefused):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} emails tell the customer a payment needs action; they cannot be turned off")


class UnknownPreference(PreferenceRefused):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no notification preference {name!r}; known: {', '.join(known)}")
