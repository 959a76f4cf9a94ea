"""Why the accounts service refuses a request."""

from collections.abc import Mapping


class AccountsError(Exception):
    """Base of every rule the accounts service enforces."""


class InvalidBillingAccount(AccountsError):
    """The details given for a billing account break its rules; `problems` names each field."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = dict(problems)
