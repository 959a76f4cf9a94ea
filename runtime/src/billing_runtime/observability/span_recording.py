"""A pytest plugin: the `spans` fixture records the spans made during a test, in memory.

Loaded by the repository's root conftest. Tests that look at spans take it: while it is active
the runtime records spans as if a collector were configured, and `spans.get_finished_spans()`
lists them; afterwards tracing is off again.
"""

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from billing_runtime.observability import tracing


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    try:
        yield exporter
    finally:
        tracing.use(None)
