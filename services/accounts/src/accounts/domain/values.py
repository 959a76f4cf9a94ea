"""Rules for single values a customer types: names, currencies, email addresses."""

import re
import unicodedata

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
# Deliberately plain: one @, no spaces, a dot in the domain. The mailbox proves the rest.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]+$")
CURRENCY_PATTERN = re.compile(r"^[A-Za-z]{3}$")


def text_line(raw: str, max_length: int = NAME_MAX_LENGTH) -> str:
    """One line of text, trimmed: 1 to `max_length` characters, no control characters."""
    text = raw.strip()
    if not text:
        raise ValueError("must not be blank")
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters (it has {len(text)})")
    if any(unicodedata.category(character) == "Cc" for character in text):
        raise ValueError("must not contain control characters such as line breaks")
    return text


def account_name(raw: str) -> str:
    """The display name, trimmed: 1 to 200 characters, no control characters."""
    return text_line(raw, NAME_MAX_LENGTH)


def currency_code(raw: str) -> str:
    """An ISO 4217 alphabetic code, three letters, returned in upper case ("eur" -> "EUR")."""
    code = raw.strip()
    if not CURRENCY_PATTERN.fullmatch(code):
        raise ValueError(f"must be a three-letter ISO 4217 currency code such as EUR or USD, not {raw!r}")
    return code.upper()


def email_address(raw: str) -> str:
    """An email address, trimmed and lower-cased."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise ValueError(f"must be an email address such as billing@example.com, not {raw!r}")
    return email
