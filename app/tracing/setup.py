"""Whether spans are recorded and where they go, from the standard OpenTelemetry variables.

On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`), or, when it is unset,
when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` says where to send
them; off when `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`, and off when nothing is
said. Off means no SDK at all: the SDK is imported only here, only when on. Everything else
the SDK reads itself: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, the sampler
(`OTEL_TRACES_SAMPLER`, by default the caller's decision, else every operation), the exporter's
endpoint, headers and timeout, the batch processor's sizes and delays."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.trace import Tracer

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

#: The instrumentation scope of every span of the gateway.
SCOPE = "jobtree-gateway"
#: service.name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names one.
DEFAULT_SERVICE_NAME = "jobtree-gateway"
EXPORTERS = ("otlp", "console")
#: The OTLP transport installed with the gateway (opentelemetry-exporter-otlp-proto-http).
OTLP_PROTOCOL = "http/protobuf"


class TracingConfigError(ValueError):
    """The OTEL_* variables ask for something this gateway cannot do; it does not start."""


@dataclass(frozen=True)
class Tracing:
    """The tracer every span is made with, and the provider behind it (flushed on shutdown).
    Each app has its own: the process-wide provider of the OpenTelemetry API is left alone."""

    tracer: Tracer
    provider: TracerProvider

    def shutdown(self) -> None:
        """Exports what is still buffered, then stops the exporters."""
        self.provider.shutdown()


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def exporters_from(environ: Mapping[str, str]) -> list[str]:
    """The span exporters the environment asks for; none means tracing is off."""
    if _flag(environ, "OTEL_SDK_DISABLED"):
        return []
    names = [
        name.strip().lower()
        for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",")
        if name.strip()
    ]
    if not names:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        names = ["otlp"] if endpoint and endpoint.strip() else []
    if "none" in names:
        return []
    unknown = sorted(set(names).difference(EXPORTERS))
    if unknown:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER: unsupported exporter {', '.join(unknown)} "
            f"(this gateway has {', '.join(EXPORTERS)}, or none)"
        )
    if "otlp" in names:
        protocol = (
            environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or OTLP_PROTOCOL
        ).strip()
        if protocol != OTLP_PROTOCOL:
            raise TracingConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: this gateway exports OTLP over "
                f"{OTLP_PROTOCOL} only (port 4318 on a collector)"
            )
    return list(dict.fromkeys(names))


def tracing_from_environment(environ: Mapping[str, str] | None = None) -> Tracing | None:
    """The gateway's tracing as the environment configures it, or None when it is off."""
    names = exporters_from(os.environ if environ is None else environ)
    if not names:
        return None
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    processors: list[SpanProcessor] = []
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processors.append(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            processors.append(BatchSpanProcessor(ConsoleSpanExporter()))
    return recording_to(*processors)


def recording_to(*processors: SpanProcessor) -> Tracing:
    """Tracing whose spans go to these processors (tests pass an in-memory exporter's)."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    for processor in processors:
        provider.add_span_processor(processor)
    return Tracing(provider.get_tracer(SCOPE), provider)
