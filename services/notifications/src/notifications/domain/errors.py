"""The errors notifications' rules and ports raise."""


class NotificationsError(Exception):
    """Base of every error of the notifications service."""


class MailDeliveryFailed(NotificationsError):
    """The mail server did not take the email."""


class TemporaryMailFailure(MailDeliveryFailed):
    """Worth trying again later: the server is away, busy, or refused with a 4xx reply."""


class PermanentMailFailure(MailDeliveryFailed):
    """Trying again will not help: the server refused the recipient or the message (5xx)."""
