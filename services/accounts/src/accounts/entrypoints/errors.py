"""The accounts rules' refusals as HTTP answers, each with a message saying what to fix."""

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from accounts.domain.errors import AccountsError, Conflict, InvalidRequest, NotAllowed, NotFound

_STATUS = (
    (InvalidRequest, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (NotAllowed, status.HTTP_403_FORBIDDEN),
    (Conflict, status.HTTP_409_CONFLICT),
)


def refusal(error: AccountsError) -> JSONResponse:
    if isinstance(error, InvalidRequest):
        # The same shape as FastAPI's own validation errors: one entry per field, located.
        problems = [
            {"loc": [error.where, *field.split(".")], "msg": message, "type": "value_error"}
            for field, message in error.problems.items()
        ]
        return JSONResponse({"detail": problems}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    code = next((code for kind, code in _STATUS if isinstance(error, kind)), status.HTTP_400_BAD_REQUEST)
    return JSONResponse({"detail": str(error)}, status_code=code)


def handle_refusals(app: FastAPI) -> None:
    async def handler(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AccountsError)
        return refusal(error)

    app.add_exception_handler(AccountsError, handler)
