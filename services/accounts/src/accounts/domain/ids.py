"""Billing account ids: `ba_` followed by 16 lower-case letters or digits (hex or base32)."""

import re
from typing import Protocol

ACCOUNT_ID_PATTERN = re.compile(r"^ba_[a-z0-9]{16}$")


class AccountIds(Protocol):
    """The id generator port: hands out new billing account ids, never the same one twice."""

    def new_account_id(self) -> str:
        """A fresh id matching `ACCOUNT_ID_PATTERN`."""
        ...


def is_account_id(candidate: str) -> bool:
    return ACCOUNT_ID_PATTERN.fullmatch(candidate) is not None
