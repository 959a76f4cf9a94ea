"""PostgreSQL array literals (`{"a","b"}`), written in one pass: a batch's thousands of values go
as one text parameter, cast to the array type in SQL. psycopg would adapt every element of a list
parameter in Python, one call each, which cost more than the statement itself here."""

from collections.abc import Iterable
from decimal import Decimal


def _quoted(value: str) -> str:
    # Inside double quotes only a double quote and a backslash need escaping; commas, braces,
    # spaces and the word NULL are then plain text.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def text_array(values: Iterable[str]) -> str:
    """The literal of a `text[]` (or of any array type cast from text, such as `uuid[]`)."""
    values = list(values)
    body = '","'.join(values)
    # Usually nothing needs escaping: seen from the joined text (in C), not value by value.
    if "\\" not in body and body.count('"') == 2 * max(len(values) - 1, 0):
        return '{"' + body + '"}' if values else "{}"
    return "{" + ",".join(map(_quoted, values)) + "}"


def plain_array(values: Iterable[int | Decimal]) -> str:
    """The literal of a `numeric[]` or `bigint[]`: numbers, whose `str` has no character an array
    literal treats specially (times go through `text_array` of their ISO form)."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array_with_nulls(values: Iterable[str | None]) -> str:
    """The literal of a `text[]` whose elements may be NULL (None)."""
    return "{" + ",".join("NULL" if value is None else _quoted(value) for value in values) + "}"
