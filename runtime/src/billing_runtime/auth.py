"""Who is calling: bearer JWTs checked with fixed algorithms, audience, issuer and expiry.

The algorithms come from configuration, never from the token's own header. `python -m
billing_runtime.auth token --email you@example.com` prints a development token (HS256 with
the development secret) for trying the API with curl; `make token EMAIL=…` runs it.
"""

import argparse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from billing_runtime.settings import ServiceSettings

_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Caller:
    subject: str
    email: str


def verify_token(token: str, settings: ServiceSettings, jwks: jwt.PyJWKClient | None = None) -> Caller:
    """The caller the token proves, or `jwt.InvalidTokenError`."""
    key = jwks.get_signing_key_from_jwt(token).key if jwks else settings.jwt_secret.get_secret_value()
    claims = jwt.decode(
        token,
        key,
        algorithms=settings.jwt_algorithms,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "sub", "aud", "iss"]},
    )
    email = str(claims.get("email", "")).strip().lower()
    if not email:
        raise jwt.InvalidTokenError("the token names no email")
    return Caller(subject=str(claims["sub"]), email=email)


def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """FastAPI dependency: 401 unless a valid bearer token comes with the request."""
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    runtime = request.app.state.runtime
    try:
        return verify_token(credentials.credentials, runtime.settings, getattr(runtime, "jwks", None))
    except jwt.InvalidTokenError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"invalid token: {error}", {"WWW-Authenticate": "Bearer"}) from None


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def development_token(email: str, settings: ServiceSettings, lifetime: timedelta = timedelta(hours=12)) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email.lower()}")),
        "email": email.lower(),
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithms[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="token")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("token").add_argument("--email", required=True)
    args = parser.parse_args(argv)
    print(development_token(args.email, ServiceSettings()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
