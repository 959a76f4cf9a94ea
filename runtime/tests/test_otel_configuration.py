"""Tracing is configured by the standard OTEL_* variables, and off unless a collector is named."""

import pytest
from billing_runtime.observability import otel


@pytest.mark.parametrize(("environ", "wanted"), [
    ({}, False),
    ({"OTEL_SERVICE_NAME": "invoicing"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, False),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, False),
])
def test_spans_are_exported_only_when_a_collector_is_named(environ, wanted):
    assert otel.wants_traces(environ) is wanted


def test_the_service_name_is_the_default_and_otel_service_name_wins(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    provider = otel.tracer_provider_from_environment("invoicing")
    assert provider.resource.attributes["service.name"] == "invoicing"
    provider.shutdown()
    monkeypatch.setenv("OTEL_SERVICE_NAME", "invoicing-eu")
    provider = otel.tracer_provider_from_environment("invoicing")
    assert provider.resource.attributes["service.name"] == "invoicing-eu"
    provider.shutdown()


@pytest.mark.parametrize(("variable", "value"), [
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"), ("OTEL_TRACES_EXPORTER", "zipkin"),
])
def test_what_is_not_shipped_is_refused_by_name(monkeypatch, variable, value):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv(variable, value)
    with pytest.raises(otel.TracingMisconfigured, match=variable):
        otel.tracer_provider_from_environment("invoicing")


def test_nothing_is_set_up_without_a_collector(monkeypatch):
    for variable in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(variable, raising=False)
    assert otel.configure_tracing("invoicing") is None
