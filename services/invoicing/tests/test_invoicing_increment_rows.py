"""The rows `add_usage` copies into `usage_increments`: COPY's text format, whatever the identifiers hold."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invoicing.adapters.usage_ledger import _increment_rows
from invoicing.domain.periods import BillingPeriod
from invoicing.domain.usage import Tally, UsageKey

OCTOBER, NOVEMBER = BillingPeriod.month(2026, 10), BillingPeriod.month(2026, 11)
_LETTERS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.DOTALL)


def _unescape(match: re.Match) -> str:
    code = match[1]
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567":
        return chr(int(code, 8))
    return _LETTERS.get(code, code)  # any other character stands for itself


def read_copy_text(text: str) -> list[list[str | None]]:
    """What PostgreSQL reads from COPY's text format (its documentation's "Text Format")."""
    assert text.endswith("\n")
    assert "\r" not in text, "PostgreSQL refuses a literal carriage return in data"
    return [[None if field == "\\N" else _ESCAPE.sub(_unescape, field) for field in line.split("\t")]
            for line in text[:-1].split("\n")]


def tallies(*rows: tuple[str, str, str, BillingPeriod, str | None]) -> dict[UsageKey, Tally]:
    return {UsageKey(account, project, meter, period): Tally(Decimal("1.50"), 2, Decimal("1"), frozenset(), trace)
            for account, project, meter, period, trace in rows}


def expected(given: dict[UsageKey, Tally]) -> list[list[str | None]]:
    return [[k.billing_account_id, k.project_id, k.meter, k.period.start.isoformat(), "1.50", "2", "1", t.traceparent]
            for k, t in given.items()]


PLAIN = ("ba_1", "prj_1", "compute.vcpu_hours", OCTOBER, None)


@pytest.mark.parametrize("odd", [
    ("ba_\t1", "prj_1", "m", OCTOBER, None),
    ("ba_1", "prj_\n1", "m", OCTOBER, "00-trace"),
    ("ba_1", "prj_1", "m\\", NOVEMBER, None),
    ("ba_1\r", "prj_1", "m", OCTOBER, None),
    ("ba_1", "prj_1", "m", OCTOBER, "\\N"),  # a trace that reads as null if not escaped
    ("ba_1", "prj_1", "m\\N", OCTOBER, None),
    ("ba_\\x41", "prj_1", "m", OCTOBER, None),
], ids=["tab", "newline", "backslash", "carriage return", "a trace of backslash-N", "backslash-N in a name", "a hex escape"])
def test_values_copy_would_misread_are_escaped(odd):
    given = tallies(PLAIN, odd, ("ba_2", "prj_2", "storage.gb_months", NOVEMBER, "00-abc"))
    periods, text = _increment_rows(given)
    assert read_copy_text(text) == expected(given)
    assert periods == {k.period for k in given}


def test_plain_values_are_written_as_they_are_over_periods():
    given = tallies(PLAIN, ("ba_2", "prj_2", "m", NOVEMBER, "00-abc"), ("ba_3", "prj_3", "m", OCTOBER, None))
    periods, text = _increment_rows(given)
    assert text == ("ba_1\tprj_1\tcompute.vcpu_hours\t2026-10-01T00:00:00+00:00\t1.50\t2\t1\t\\N\n"
                    "ba_2\tprj_2\tm\t2026-11-01T00:00:00+00:00\t1.50\t2\t1\t00-abc\n"
                    "ba_3\tprj_3\tm\t2026-10-01T00:00:00+00:00\t1.50\t2\t1\t\\N\n")
    assert periods == {OCTOBER, NOVEMBER}
