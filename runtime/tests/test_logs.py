import json
import logging

from billing_runtime.observability.logs import JsonFormatter, bind, trace_id_of


def test_a_log_line_carries_the_bound_trace_and_event(caplog):
    formatter = JsonFormatter("invoicing")
    record = logging.LogRecord("invoicing.usage", logging.WARNING, __file__, 1, "meter %s unknown", ("x.y",), None)
    with bind(event_id="0b9a2d4e-5c1f-4a7e-9d3b-6f2e8c1a7b40", trace_id=trace_id_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")):
        inside = json.loads(formatter.format(record))
    outside = json.loads(formatter.format(record))
    assert inside["message"] == "meter x.y unknown"
    assert inside["service"] == "invoicing" and inside["level"] == "warning"
    assert inside["event_id"] == "0b9a2d4e-5c1f-4a7e-9d3b-6f2e8c1a7b40"
    assert inside["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "event_id" not in outside


def test_a_malformed_traceparent_has_no_trace_id():
    assert trace_id_of("garbage") is None
    assert trace_id_of(None) is None
