"""Who calls: a person (bearer JWT with an email) or a platform service (service token).

A service token is a JWT checked exactly like a person's (same key, algorithms, audience,
issuer, expiry) whose `sub` starts with `svc:`; its `scope` claim (space-separated, or a list)
says what it may do, e.g. "projects:write". It needs no email.
"""

from typing import Annotated

import jwt
from billing_runtime.auth import Caller, verify_token
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accounts.domain.principals import ServicePrincipal

SERVICE_SUBJECT_PREFIX = "svc:"
_bearer = HTTPBearer(auto_error=False)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, {"WWW-Authenticate": "Bearer"})


def _claims(token: str, request: Request) -> dict:
    runtime = request.app.state.runtime
    settings, jwks = runtime.settings, getattr(runtime, "jwks", None)
    key = jwks.get_signing_key_from_jwt(token).key if jwks else settings.jwt_secret.get_secret_value()
    return jwt.decode(
        token, key, algorithms=settings.jwt_algorithms, audience=settings.jwt_audience, issuer=settings.jwt_issuer,
        options={"require": ["exp", "sub", "aud", "iss"]},
    )


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller | ServicePrincipal:
    """A person or a service; 401 without a valid bearer token."""
    if credentials is None:
        raise _unauthorized("a bearer token is required")
    try:
        claims = _claims(credentials.credentials, request)
        subject = str(claims["sub"])
        if subject.startswith(SERVICE_SUBJECT_PREFIX):
            scope = claims.get("scope", "")
            scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope]
            return ServicePrincipal(subject=subject, scopes=frozenset(scopes))
        runtime = request.app.state.runtime
        return verify_token(credentials.credentials, runtime.settings, getattr(runtime, "jwks", None))
    except jwt.InvalidTokenError as error:
        raise _unauthorized(f"invalid token: {error}") from None


def current_person(principal: Annotated[Caller | ServicePrincipal, Depends(current_principal)]) -> Caller:
    """A person only: routes acting for a member refuse service tokens (403)."""
    if isinstance(principal, ServicePrincipal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs a person's token, not a service token")
    return principal


def current_service(principal: Annotated[Caller | ServicePrincipal, Depends(current_principal)]) -> ServicePrincipal:
    """A platform service only (403 for a person)."""
    if not isinstance(principal, ServicePrincipal):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this is for platform services: it needs a service token")
    return principal


Person = Annotated[Caller, Depends(current_person)]
Principal = Annotated[Caller | ServicePrincipal, Depends(current_principal)]
Service = Annotated[ServicePrincipal, Depends(current_service)]
