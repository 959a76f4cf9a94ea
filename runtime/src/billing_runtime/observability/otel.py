"""OpenTelemetry for a service process, configured the standard way: the OTEL_* variables.

Spans are recorded and exported only when an OTLP endpoint is given
(`OTEL_EXPORTER_OTLP_ENDPOINT`, or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `OTEL_SDK_DISABLED`
is not true and `OTEL_TRACES_EXPORTER` is not `none`. Without them nothing is set up and the
runtime makes no span at all (trace ids still flow in envelopes and logs): an unconfigured
service pays nothing for tracing.

The exporter speaks OTLP over HTTP (protobuf), in batches from a background thread. Everything
else is the SDK's own reading of the environment: `OTEL_SERVICE_NAME` (default: the service's
name), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_EXPORTER_OTLP_HEADERS`,
`OTEL_BSP_*`, ...
"""

import logging
import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.environment_variables import OTEL_TRACES_EXPORTER
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
    OTEL_SDK_DISABLED,
)
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider

from billing_runtime.observability import tracing

log = logging.getLogger(__name__)
PROTOCOL = "http/protobuf"


class TracingMisconfigured(ValueError):
    pass


def wants_traces(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for spans to be exported."""
    if environ.get(OTEL_SDK_DISABLED, "").strip().lower() == "true":
        return False
    if environ.get(OTEL_TRACES_EXPORTER, "otlp").strip().lower() == "none":
        return False
    return bool(environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or environ.get(OTEL_EXPORTER_OTLP_ENDPOINT))


def tracer_provider_from_environment(service_name: str) -> TracerProvider | None:
    """The SDK's provider exporting by OTLP/HTTP, or None when the environment asks for no traces.

    Refuses, naming the variable, what this runtime does not ship (another exporter or protocol)
    rather than silently exporting nothing. (The SDK reads the process environment itself.)"""
    environ = os.environ
    if not wants_traces(environ):
        return None
    exporter = environ.get(OTEL_TRACES_EXPORTER, "otlp").strip().lower()
    if exporter != "otlp":
        raise TracingMisconfigured(f"OTEL_TRACES_EXPORTER={exporter!r}: only 'otlp' (or 'none') is supported")
    for variable in (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL):
        protocol = environ.get(variable, PROTOCOL).strip().lower()
        if protocol != PROTOCOL:
            raise TracingMisconfigured(f"{variable}={protocol!r}: only {PROTOCOL!r} is supported (a collector's port 4318)")
    # Imported here: an unconfigured process never loads the exporter (nor its HTTP client).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # The service's own name unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says otherwise.
    resource = Resource.create({SERVICE_NAME: service_name}).merge(OTELResourceDetector().detect())
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def configure_tracing(service_name: str) -> TracerProvider | None:
    """Set the process up as the environment asks: spans exported, or none made at all.

    The provider becomes OpenTelemetry's global one too (for any instrumented library) and
    flushes its last spans when the process exits."""
    provider = tracer_provider_from_environment(service_name)
    tracing.use(provider)
    if provider is not None:
        trace.set_tracer_provider(provider)
        endpoint = os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or os.environ.get(OTEL_EXPORTER_OTLP_ENDPOINT)
        log.info("exporting traces by OTLP/HTTP to %s", endpoint)
    return provider
