"""HTTPS client for the German Smart Meter Gateway HAN interface (Theben CONEXA, EMH CASA).

Standard library only (``http.client`` + ``ssl``): the gateway's certificate is checked
*before* any request byte is sent (pinning by SHA-256 fingerprint, or verification against a
CA file/data), Digest authentication (RFC 7616, MD5 and SHA-256) is computed by the sans-I/O
:mod:`smartmeter_codecs.smgw.digest`, and one keep-alive connection is reused across calls with
the Digest nonce count incremented (the gateways limit sessions; docs/formats/smgw.md).

Certificate checking is never switched off: the constructor needs ``fingerprint`` or
``cafile``/``cadata``. The gateway's certificate is self-signed (Theben handbook E-2); get its
fingerprint once, e.g. ``openssl s_client -connect <ip>:443 | openssl x509 -noout -fingerprint
-sha256``, or from Theben ``smgw-info`` (``certificates.han.tls``).

Errors: :class:`SmgwCertificateError`, :class:`SmgwAuthError`, :class:`SmgwTimeoutError`,
:class:`SmgwConnectionError`, :class:`SmgwHttpError` (status codes), and
:class:`~smartmeter_codecs.DecodeError` for a body that is not what the interface sends.

Polling: values refresh every 15 minutes; faster polling has locked gateways (docs/formats/smgw.md
section 1). Nothing here polls by itself.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import logging
import os
import socket
import ssl
from typing import Any

from ..model import Reading
from ..smgw import digest, emh, theben
from ..smgw.codec import CODEC as _HAN
from ..smgw.http import (
    MAX_BODY,
    HttpRequest,
    HttpResponse,
    SmgwAuthError,
    SmgwCertificateError,
    SmgwConnectionError,
    SmgwError,
    SmgwHttpError,
    SmgwTimeoutError,
    check,
    emh_get,
    json_body,
    theben_call,
    theben_discovery,
)

__all__ = ["SmgwClient", "SmgwError", "SmgwAuthError", "SmgwCertificateError", "SmgwConnectionError",
           "SmgwHttpError", "SmgwTimeoutError", "certificate_fingerprint"]

log = logging.getLogger("smartmeter_codecs.io.smgw_http")


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as lowercase hex (the pin format)."""
    return hashlib.sha256(der).hexdigest()


def _normalise_pin(pin: str) -> str:
    clean = pin.replace(":", "").replace(" ", "").lower()
    if clean.startswith("sha256/") or clean.startswith("sha256="):
        clean = clean[7:]
    if len(clean) != 64 or any(c not in "0123456789abcdef" for c in clean):
        raise ValueError("fingerprint must be the SHA-256 of the certificate: 64 hex digits (colons allowed)")
    return clean


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection that checks the pinned fingerprint right after the handshake."""

    def __init__(self, host: str, port: int, *, context: ssl.SSLContext, timeout: float,
                 pin: str | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._pin = pin

    def connect(self) -> None:
        super().connect()
        if self._pin is None:
            return
        der = self.sock.getpeercert(binary_form=True) if self.sock is not None else None
        got = certificate_fingerprint(der) if der else None
        if got != self._pin:
            self.close()
            raise SmgwCertificateError(f"the gateway's certificate fingerprint is {got}, not the pinned "
                                       f"{self._pin}: refusing to send anything")


class SmgwClient:
    """A session with one gateway.

    Args:
        host: the gateway's HAN address (e.g. ``"192.168.33.2"``); it is also the ``Host``
            header (EMH needs that).
        port: 443 unless the operator says otherwise.
        username, password: the HAN user's Digest credentials (from the metering point operator).
        fingerprint: SHA-256 of the gateway's certificate (hex, colons allowed): pinning.
        cafile, cadata: a CA (or the self-signed certificate itself) to verify against instead.
        check_hostname: with a CA, also match the certificate's name/IP to ``host`` (default
            True; gateways' self-signed certificates often name no IP, then pin instead).
        timeout: seconds for connect and for each read.
        vendor: ``"theben"`` or ``"emh"``; ``None`` = find out (:meth:`detect_vendor`).
        userid: Theben userid if known (else discovered with ``GET /smgw/m2m``).
    """

    def __init__(self, host: str, *, port: int = 443, username: str | None = None, password: str | None = None,
                 fingerprint: str | None = None, cafile: str | os.PathLike[str] | None = None,
                 cadata: str | bytes | None = None, check_hostname: bool = True, timeout: float = 10.0,
                 vendor: str | None = None, userid: str | None = None) -> None:
        if fingerprint is None and cafile is None and cadata is None:
            raise ValueError("give the gateway's certificate: fingerprint= (SHA-256 pin) or cafile=/cadata=; "
                             "certificate checking is never disabled")
        if vendor not in (None, "theben", "emh"):
            raise ValueError(f"vendor must be 'theben', 'emh' or None, got {vendor!r}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # TR-03109-1 / Theben: TLS 1.2 only
        self._pin = _normalise_pin(fingerprint) if fingerprint is not None else None
        if self._pin is not None and cafile is None and cadata is None:
            # pinning replaces chain validation: the exact certificate is compared instead
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx.load_verify_locations(cafile=cafile, cadata=cadata)
            ctx.check_hostname = check_hostname
        self.host, self.port, self.timeout = host, port, timeout
        self.vendor, self.userid = vendor, userid
        self._user, self._password = username, password
        self._ctx = ctx
        self._conn: _Connection | None = None
        self._challenge: digest.DigestChallenge | None = None
        self._nc = 0

    # -- transport ----------------------------------------------------------------------------

    def __enter__(self) -> SmgwClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the interfaces have no log-out call: Digest is stateless and
        the TLS session ends with the connection; Theben drops idle sessions after 10 min)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> _Connection:
        if self._conn is None:
            self._conn = _Connection(self.host, self.port, context=self._ctx, timeout=self.timeout, pin=self._pin)
        return self._conn

    def _exchange(self, req: HttpRequest, auth: str | None) -> HttpResponse:
        headers = dict(req.headers)
        if auth is not None:
            headers["Authorization"] = auth
        if req.method == "POST" or req.body:
            headers["Content-Length"] = str(len(req.body))
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request(req.method, req.path, body=req.body or None, headers=headers)
                resp = conn.getresponse()
                body = resp.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:
                    raise SmgwConnectionError(f"response to {req.path} is larger than {MAX_BODY} bytes")
                out = HttpResponse(resp.status, resp.reason, tuple(resp.getheaders()), body)
                if resp.will_close:
                    self.close()
                return out
            except SmgwError:
                self.close()
                raise
            except ssl.SSLCertVerificationError as err:
                self.close()
                raise SmgwCertificateError(f"the gateway's certificate does not verify: {err.verify_message}") from None
            except (socket.timeout, TimeoutError):
                self.close()
                raise SmgwTimeoutError(f"no answer from {self.host}:{self.port} within {self.timeout} s "
                                       f"({req.method} {req.path})") from None
            except ssl.SSLError as err:
                self.close()
                raise SmgwConnectionError(f"TLS with {self.host}:{self.port} failed: {err}") from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as err:
                self.close()
                if attempt == 0 and req.idempotent:  # a kept-alive connection the gateway dropped
                    log.debug("connection dropped (%s), retrying %s once", err, req.path)
                    continue
                raise SmgwConnectionError(f"{self.host}:{self.port} closed the connection: {err}") from None
            except (OSError, http.client.HTTPException) as err:
                self.close()
                raise SmgwConnectionError(f"cannot talk to {self.host}:{self.port}: {err}") from None
        raise SmgwConnectionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _authorization(self, req: HttpRequest) -> str | None:
        if self._challenge is None:
            return None
        if self._user is None or self._password is None:
            raise SmgwAuthError("the gateway asks for Digest authentication: give username and password")
        self._nc += 1
        return digest.authorization(self._challenge, username=self._user, password=self._password,
                                    method=req.method, uri=req.path, nc=self._nc, body=req.body)

    def send(self, req: HttpRequest, *, expect: tuple[int, ...] = (200,)) -> HttpResponse:
        """Send ``req`` with Digest authentication (answering a 401 challenge once, or twice
        when the server says the nonce is ``stale``) and check the status."""
        resp = self._exchange(req, self._authorization(req))
        for attempt in range(2):
            if resp.status != 401:
                break
            header = ", ".join(v for k, v in resp.headers if k.lower() == "www-authenticate")
            try:
                challenge = digest.choose(digest.parse_challenges(header))
            except ValueError as err:
                raise SmgwAuthError(f"unreadable Digest challenge from the gateway: {err}") from None
            if challenge is None:
                raise SmgwAuthError(f"the gateway offers no supported Digest challenge: {header!r}")
            if attempt == 1 and not challenge.stale:
                break  # our answer to a fresh challenge was refused: wrong credentials
            self._challenge, self._nc = challenge, 0
            resp = self._exchange(req, self._authorization(req))
        return check(req, resp, expect=expect)

    # -- Theben CONEXA ------------------------------------------------------------------------

    def discover_userid(self) -> str:
        """``GET /smgw/m2m`` -> the consumer's userid from the 307 ``Location`` (A-2.1)."""
        req = theben_discovery()
        resp = self.send(req, expect=(307,))
        location = resp.header("Location")
        if not location:
            raise SmgwHttpError(resp.status, "307 without Location", req.path)
        self.userid = theben.userid_from_location(location)
        return self.userid

    def theben(self, body: bytes) -> Any:
        """POST one IF_GW_CON request body; the typed response (see :mod:`..smgw.theben`)."""
        userid = self.userid or self.discover_userid()
        resp = self.send(theben_call(userid, body))
        if body == theben.self_test_request() and not resp.body.strip():
            return theben.SelfTest(theben.Envelope("self-test", None, None))
        return theben.parse_response(json_body(resp))

    def theben_raw(self, body: bytes) -> bytes:
        """POST one request body and return the response body unparsed."""
        userid = self.userid or self.discover_userid()
        return self.send(theben_call(userid, body)).body

    def theben_readings(self, usage_point_id: str | None = None, *, database: str = "origin",
                        last_reading: bool = True, fromtime: dt.datetime | None = None,
                        totime: dt.datetime | None = None) -> list[Reading]:
        """Readings of one contract (or of every contract from ``user-info``), scaled with the
        contract's ``usage-point-info`` (A-2.3, A-2.4, A-2.6)."""
        ids = [usage_point_id] if usage_point_id else [
            up.usage_point_id for up in self.theben(theben.user_info_request()).usage_points
            if up.taf_state in (None, "running", "ready")]
        out: list[Reading] = []
        for upid in ids:
            info = self.theben_raw(theben.usage_point_info_request(upid, database))
            values = self.theben_raw(theben.readings_request(
                upid, database, last_reading=last_reading if fromtime is None else None,
                fromtime=fromtime, totime=totime))
            out.extend(_HAN.decode_all(b"[" + info + b"," + values + b"]", profile="theben"))
        return out

    # -- EMH CASA ------------------------------------------------------------------------------

    def emh_meters(self) -> tuple[str, ...]:
        """``GET /json/metering/origin/``: the meter ids."""
        resp = emh.parse_response(json_body(self.send(emh_get(emh.ORIGIN_PATH))))
        if not isinstance(resp, emh.IdList):
            raise SmgwHttpError(200, "origin list is not an array of ids", emh.ORIGIN_PATH)
        return resp.ids

    def emh_readings(self, meter_id: str | None = None) -> list[Reading]:
        """``GET .../origin/<meter>/extended`` for one meter (or every meter of the origin list)."""
        out: list[Reading] = []
        for mid in [meter_id] if meter_id else self.emh_meters():
            out.extend(_HAN.decode_all(self.send(emh_get(emh.extended_path(mid))).body, profile="emh"))
        return out

    # -- either --------------------------------------------------------------------------------

    def detect_vendor(self) -> str:
        """Theben answers ``GET /smgw/m2m`` with 307; otherwise EMH's origin list is tried."""
        if self.vendor is None:
            try:
                self.discover_userid()
                self.vendor = "theben"
            except SmgwHttpError as err:
                if err.status not in (400, 404, 405):
                    raise
                self.send(emh_get(emh.ORIGIN_PATH))
                self.vendor = "emh"
        return self.vendor

    def poll(self) -> list[Reading]:
        """The latest Readings of every contract (Theben) or meter (EMH)."""
        if self.detect_vendor() == "theben":
            return self.theben_readings()
        return self.emh_readings()

