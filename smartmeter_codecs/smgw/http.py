"""Sans-I/O HTTP requests and response checks for the SMGW HAN interfaces, and typed errors.

The transport (:mod:`smartmeter_codecs.io.smgw_http`) sends :class:`HttpRequest` values and
hands status, headers and body back to :func:`check`; nothing here opens a socket.

Facts: Theben wants ``Content-Type: application/json`` without a charset and a
``Content-Length`` (no chunked body); some clients add ``X-Content-Length`` (docs/formats/smgw.md).
EMH needs HTTP/1.1 and ``Host`` equal to the gateway address. The status codes and their
meanings are Theben's (IF_GW_CON A-2.1..A-2.7).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import theben
from .values import load_json

__all__ = ["HttpRequest", "HttpResponse", "SmgwError", "SmgwConnectionError", "SmgwTimeoutError",
           "SmgwCertificateError", "SmgwAuthError", "SmgwHttpError", "theben_discovery", "theben_call",
           "emh_get", "check", "json_body", "STATUS_MEANING", "MAX_BODY"]

#: Status codes of IF_GW_CON (A-2.1..A-2.7) and what they mean there.
STATUS_MEANING = {
    307: "redirect to the consumer's own /smgw/m2m/<userid>/json",
    400: "the gateway could not interpret the request (bad parameter, header, or a range over 31 days)",
    401: "not authenticated (user name or password wrong, or no credentials)",
    403: "forbidden (self-test: already running or the last one ran less than 10 minutes ago)",
    404: "path not found (wrong userid, or not this vendor's interface)",
    405: "HTTP method not allowed for this resource",
    500: "internal error of the gateway",
}
#: Largest body the client reads (a 31-day TAF7 series of a few channels is a few MB).
MAX_BODY = 32 * 1024 * 1024


class SmgwError(Exception):
    """Base class of every SMGW client failure that is not a DecodeError of the body."""


class SmgwConnectionError(SmgwError):
    """The gateway could not be reached or closed the connection."""


class SmgwTimeoutError(SmgwError, TimeoutError):
    """No answer within the timeout (connect or read)."""


class SmgwCertificateError(SmgwError):
    """The gateway's certificate is not the pinned one, or does not verify against the CA given."""


class SmgwAuthError(SmgwError):
    """Digest authentication failed (wrong user name or password) or cannot be performed."""


class SmgwHttpError(SmgwError):
    """The gateway answered with an error status.

    Attributes: ``status`` (int), ``reason``, ``body`` (bytes, possibly empty), ``path``.
    """

    def __init__(self, status: int, reason: str, path: str, body: bytes = b"") -> None:
        self.status = status
        self.reason = reason
        self.path = path
        self.body = body
        meaning = STATUS_MEANING.get(status)
        super().__init__(f"HTTP {status} {reason} for {path}" + (f": {meaning}" if meaning else ""))


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    idempotent: bool = True  # may be re-sent on a fresh connection (self-test may not)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


_JSON_HEADERS = (("Content-Type", "application/json"), ("Accept", "application/json"))


def theben_discovery() -> HttpRequest:
    """``GET /smgw/m2m`` (A-2.1): answered with 307 and the consumer's userid."""
    return HttpRequest("GET", theben.DISCOVERY_PATH, (("Accept", "application/json"),))


def theben_call(userid: str, body: bytes) -> HttpRequest:
    """``POST /smgw/m2m/<userid>/json`` with one of the :mod:`.theben` request bodies."""
    idempotent = b'"self-test"' not in body
    return HttpRequest("POST", theben.json_path(userid),
                       _JSON_HEADERS + (("X-Content-Length", str(len(body))),), body, idempotent)


def emh_get(path: str) -> HttpRequest:
    """``GET /json/...`` of EMH CASA (see :mod:`.emh` for the paths)."""
    return HttpRequest("GET", path, (("Accept", "application/json"),))


def check(request: HttpRequest, response: HttpResponse, *, expect: tuple[int, ...] = (200,)) -> HttpResponse:
    """The response when its status is expected; otherwise the typed error."""
    if response.status in expect:
        return response
    if response.status == 401:
        raise SmgwAuthError(f"HTTP 401 for {request.path}: {STATUS_MEANING[401]}")
    raise SmgwHttpError(response.status, response.reason, request.path, response.body[:4096])


def json_body(response: HttpResponse) -> Any:
    """The parsed JSON body; a malformed body raises a DecodeError (layer ``smgw``)."""
    return load_json(response.body)
