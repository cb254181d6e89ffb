"""uvicorn's httptools protocol with a bound on the request head: request line and headers of
more than MAX_HEADER_BYTES are answered 431 (JSON, as every refusal) and the connection closed,
instead of being read whole (httptools itself keeps no limit); a request httptools cannot parse
is answered 400 in JSON too."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.http.refusals import refusal_body


@cache
def max_header_bytes() -> int:
    from app.settings import Settings

    return Settings().max_header_bytes


class BoundedHeadProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head = max_header_bytes()
        self.head_bytes = 0
        self.in_head = True

    def on_headers_complete(self) -> None:
        self.in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_head = True
        self.head_bytes = 0
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        counting = self.in_head
        super().data_received(data)
        # Counted once parsed: a chunk that completes the head also carries body bytes.
        if counting and self.in_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head:
                self.refuse_head()

    def refuse_head(self) -> None:
        self.refuse(
            b"431 Request Header Fields Too Large",
            f"The request's headers are larger than {self.max_head:,} bytes.",
            "HEADERS_TOO_LARGE",
        )

    def send_400_response(self, msg: str) -> None:
        """What httptools cannot parse (uvicorn answers it in text/plain)."""
        self.refuse(b"400 Bad Request", f"{msg.rstrip('.')}: not a valid HTTP/1.1 request.")

    def refuse(self, status: bytes, message: str, code: str = "BAD_REQUEST") -> None:
        body = orjson.dumps(refusal_body(message, code))
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
        )
        self.transport.close()
