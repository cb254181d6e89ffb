"""Logs: text lines for people in development, JSON lines in production (unless LOG_FORMAT)."""

from __future__ import annotations

import json
import logging

from app.logs import TextFormatter, configure_logging
from app.settings import Settings


def record(**extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "app.access", "levelno": logging.INFO, "levelname": "INFO", "msg": "request"}
    )
    made.__dict__.update(extra)
    return made


def test_the_format_follows_the_environment_unless_chosen() -> None:
    def format_of(**values: object) -> str:
        settings = Settings(_env_file=None, jwt_secret="s" * 40, **values)  # type: ignore[call-arg, arg-type]
        return settings.log_format_effective

    assert format_of(app_env="development") == "text"
    assert format_of(app_env="production") == "json"
    assert format_of(app_env="development", log_format="json") == "json"
    assert format_of(app_env="production", log_format="text") == "text"


def test_a_text_line_carries_the_records_fields_and_request_id() -> None:
    line = TextFormatter().format(
        record(method="GET", route="/graphql", status=200, tenant=None, request_id="abc123")
    )
    assert line.endswith(
        " INFO    app.access: request method=GET route=/graphql status=200 [abc123]"
    )
    assert "tenant" not in line  # fields without a value are left out
    assert "\n" not in line


def test_configure_logging_installs_one_handler_of_the_chosen_format() -> None:
    root = logging.getLogger()
    try:
        configure_logging("INFO", "text")
        configure_logging("INFO", "json")
        ours = [h for h in root.handlers if getattr(h, "_jobtree", False)]
        assert len(ours) == 1
        formatted = ours[0].format(record(status=200, request_id="r1"))
        assert json.loads(formatted)["status"] == 200
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_jobtree", False)]:
            root.removeHandler(handler)
