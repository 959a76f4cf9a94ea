"""Array literals say exactly the values given, whatever characters they hold."""

from decimal import Decimal

from billing_runtime.array_literals import plain_array, text_array, text_array_with_nulls


def test_text_values_are_quoted_and_only_quotes_and_backslashes_escaped():
    values = ["ba_1", 'a"b', "back\\slash", "x,y", "{z}", "NULL", "", " spaced "]
    assert text_array(values) == '{"ba_1","a\\"b","back\\\\slash","x,y","{z}","NULL",""," spaced "}'


def test_numbers_are_written_as_their_str_exactly():
    assert plain_array([Decimal("12.50"), 3, Decimal("0.000000000000000001")]) == "{12.50,3,1E-18}"
    assert text_array([]) == "{}" and plain_array([]) == "{}"


def test_one_value_needing_escapes_among_many_plain_ones_is_escaped():
    assert text_array(["a", "b", 'c"', "d"]) == '{"a","b","c\\"","d"}'
    assert text_array(['","']) == '{"\\",\\""}'
    assert text_array(["one"]) == '{"one"}'


def test_none_is_null_and_the_word_null_stays_text():
    assert text_array_with_nulls(["00-ab-01", None, "NULL", 'q"']) == '{"00-ab-01",NULL,"NULL","q\\""}'
