"""Request-level refusals, as the contract has them (../shared/API.md): a 4xx whose JSON body
is `{"errors": [{"message", "extensions": {"code"}}]}`, never text/plain."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

#: The code of a refusal, by its HTTP status (400 and anything else: BAD_REQUEST).
CODES: Mapping[int, str] = {
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
}


def refusal_body(message: str, code: str) -> dict[str, object]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def refusal(
    message: str,
    status: int = 400,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A request-level refusal: `status`, and `code` (else the status's own)."""
    return JSONResponse(
        refusal_body(message, code or CODES.get(status, "BAD_REQUEST")),
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def nested_deeper_than(value: object, limit: int) -> bool:
    """Whether arrays and objects in a decoded JSON value nest deeper than `limit` (walked
    without recursion, so a hostile value cannot exhaust the stack)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item)
    return False
