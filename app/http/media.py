"""GraphQL over HTTP media types: `application/graphql-response+json` when the client prefers
it (request errors then answer 4xx without a `data` key, as the spec asks), and the legacy
`application/json` (always 200) otherwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def prefers_graphql_response(accept: str | None) -> bool:
    """Whether the Accept header ranks application/graphql-response+json above plain JSON."""
    if not accept:
        return False
    ranks: dict[str, float] = {}
    for part in accept.split(",")[:20]:
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranks[media.strip().lower()] = max(quality, ranks.get(media.strip().lower(), 0.0))
    ours = ranks.get(GRAPHQL_RESPONSE, 0.0)
    return ours > 0 and ours >= max(ranks.get(JSON, 0.0), ranks.get("*/*", 0.0) - 1e-9)


def request_error_status(response: Mapping[str, Any]) -> int | None:
    """The 4xx status of a response that failed before execution (no data was produced and
    no error has a path), else None."""
    errors: Sequence[Mapping[str, Any]] = response.get("errors") or ()
    if not errors or response.get("data") is not None or any("path" in e for e in errors):
        return None
    codes = {e.get("extensions", {}).get("code") for e in errors}
    if codes == {"RATE_LIMITED"}:
        return 429
    return 401 if codes == {"UNAUTHENTICATED"} else 400
