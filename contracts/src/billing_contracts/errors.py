"""Why a message could not be read as a contract: one exception per dead-letter reason.

Every subclass of `ContractError` means the message itself is at fault, so retrying it will
not help: a consumer puts it on the dead-letter topic with `reason` and `str(error)`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import ValidationError


class ContractError(Exception):
    """A message that does not satisfy the contracts."""

    reason: ClassVar[str] = "contract_error"
    """A short, stable code for dead-letter headers and metrics."""


class MalformedMessage(ContractError):
    """Not a JSON object: bad UTF-8, bad JSON, NaN/Infinity, or a JSON array or scalar."""

    reason = "malformed"


class UnknownEventType(ContractError):
    """The envelope names an event type this consumer has no contract for."""

    reason = "unknown_event_type"

    def __init__(self, event_type: str) -> None:
        super().__init__(f"type: unknown event type {event_type!r}")
        self.event_type = event_type


class UnknownSchemaVersion(ContractError):
    """A known event type in a schema version this consumer cannot read (often: a newer one)."""

    reason = "unknown_schema_version"

    def __init__(self, event_type: str, schema_version: int, known: Sequence[int]) -> None:
        readable = ", ".join(str(version) for version in known) or "none"
        super().__init__(
            f"schemaversion: {event_type!r} has no schema version {schema_version} "
            f"(this consumer reads versions {readable})"
        )
        self.event_type = event_type
        self.schema_version = schema_version
        self.known = tuple(known)


@dataclass(frozen=True)
class FieldProblem:
    """One reason a message is invalid, located like `data.members[0].email`."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InvalidEvent(ContractError):
    """Valid JSON that breaks the envelope or the data contract; `problems` names each field."""

    reason = "invalid_event"

    def __init__(self, problems: Sequence[FieldProblem], event_type: str | None = None) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)
        self.event_type = event_type

    @classmethod
    def from_validation_error(cls, error: ValidationError, event_type: str | None = None) -> "InvalidEvent":
        problems = [FieldProblem(location(detail["loc"]), detail["msg"]) for detail in error.errors()]
        return cls(problems, event_type)


def location(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a path: ("data", "members", 0, "email") -> data.members[0].email."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
