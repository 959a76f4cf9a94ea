"""Who is asking: a person (a member, by verified email) or a platform service (by scope)."""

from dataclasses import dataclass

PROJECTS_WRITE = "projects:write"


@dataclass(frozen=True)
class ServicePrincipal:
    """A platform service calling with a service token (`sub` = `svc:<name>`)."""

    subject: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes
