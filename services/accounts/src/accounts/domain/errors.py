"""Why the accounts service refuses a request.

Entrypoints map the families to HTTP: `InvalidRequest` 422, `NotFound` 404, `NotAllowed` 403,
`Conflict` 409. The messages are safe to show the caller.
"""

from collections.abc import Mapping


class AccountsError(Exception):
    """Base of every rule the accounts service enforces."""


class InvalidRequest(AccountsError):
    """The values given break the rules; `problems` names each field and what is wrong with it."""

    def __init__(self, problems: Mapping[str, str], where: str = "body") -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = dict(problems)
        self.where = where
        """Where the fields came from: "body", "path" or "query"."""


class InvalidBillingAccount(InvalidRequest):
    """The details given for a billing account break its rules."""


class InvalidBillingDetails(InvalidRequest):
    """The billing details are incomplete or malformed."""


class NotFound(AccountsError):
    """No such thing, or the caller may not know it exists (another tenant's ids look alike)."""


class AccountNotFound(NotFound):
    def __init__(self, billing_account_id: str) -> None:
        super().__init__(f"billing account {billing_account_id} not found")


class MemberNotFound(NotFound):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is not a member of this billing account")


class ProjectNotFound(NotFound):
    def __init__(self, project_id: str) -> None:
        super().__init__(f"project {project_id} not found on this billing account")


class NotAllowed(AccountsError):
    """The caller is known but their role (or token) does not allow this."""


class Conflict(AccountsError):
    """The request is well-formed but the account's state does not allow it now."""


class LastOwnerRequired(Conflict):
    def __init__(self) -> None:
        super().__init__("a billing account must keep at least one owner: make someone else owner first")


class AlreadyMember(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already a member; change their role instead")


class AccountNotActive(Conflict):
    def __init__(self, billing_account_id: str, status: str) -> None:
        super().__init__(f"billing account {billing_account_id} is {status.replace('_', ' ')}: it cannot be changed")


class ProjectLinkedElsewhere(Conflict):
    def __init__(self, project_id: str) -> None:
        super().__init__(f"project {project_id} already belongs to another billing account; move it instead")


class NoDeletionRequested(Conflict):
    def __init__(self) -> None:
        super().__init__("no deletion request is pending for this billing account")
