"""Logging: one JSON object per line (python-json-logger) with the request id of the request
being served, or plain text for people. Tokens, keys and request bodies are never logged."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: The request being served by the current task (set by app.http.request_id).
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        # uvicorn's copy of the message with terminal colour codes.
        record.__dict__.pop("color_message", None)
        return True


def configure_logging(level: str, fmt: str = "json") -> None:
    """Idempotent: replaces the handler it installed before, leaves others alone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_jobtree", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._jobtree = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("app").setLevel(level.upper())
    # Our access log (app.http.observability) replaces uvicorn's: it knows the operation.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs each webhook request's url at INFO, and a callback url may carry a token;
    # the delivery worker logs its outcomes itself, by delivery and event id.
    logging.getLogger("httpx").setLevel(logging.WARNING)
