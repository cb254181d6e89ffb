"""Logging: one JSON object per line (python-json-logger) with the request id of the request
being served (production's default), or one line of text for people (development's default:
time, level, logger, message, then the record's fields as key=value). Tokens, keys and request
bodies are never logged."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: Attributes every LogRecord has; anything else was passed as `extra` and is shown.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}
#: The request being served by the current task (set by app.http.request_id).
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


class TextFormatter(logging.Formatter):
    """`14:02:11 INFO    app.access: request method=GET route=/graphql status=200 … [request id]`"""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES and value is not None
        )
        request_id = getattr(record, "request_id", "-")
        tail = f" [{request_id}]" if request_id != "-" else ""
        head, _, rest = line.partition("\n")  # a traceback stays below the line
        return f"{head} {fields}{tail}".rstrip() + (f"\n{rest}" if rest else "")


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
        handler.setFormatter(TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("app").setLevel(level.upper())
    # Our access log (app.http.observability) replaces uvicorn's: it knows the operation.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs each webhook request's url at INFO, and a callback url may carry a token;
    # the delivery worker logs its outcomes itself, by delivery and event id.
    logging.getLogger("httpx").setLevel(logging.WARNING)
