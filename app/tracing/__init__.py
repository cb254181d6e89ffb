"""OpenTelemetry traces of GraphQL operations: one span per operation (HTTP and WebSocket)
with its parse and validate phases, its DataLoader batches and tree reads, and its SQL
statements. Recorded only when the standard OTEL_* variables ask for it (setup.py); otherwise
nothing of it runs: no SDK, no extension, no hook (see README, "Tracing")."""

from app.tracing.setup import (
    Tracing,
    TracingConfigError,
    exporters_from,
    recording_to,
    tracing_from_environment,
)

__all__ = [
    "Tracing",
    "TracingConfigError",
    "exporters_from",
    "recording_to",
    "tracing_from_environment",
]
