"""Billing account ids from the operating system's random source."""

import secrets


class RandomAccountIds:
    """`ba_` and 16 hex digits: 64 random bits, so ids cannot be guessed or enumerated."""

    def new_account_id(self) -> str:
        return f"ba_{secrets.token_hex(8)}"
