"""HTTP clients for the metering platforms (Datadis, Eloverblik): a thin transport around the
sans-I/O builders in :mod:`smartmeter_codecs.platforms.http`.

Standard library only (``http.client``; TLS verified with the system trust store by default).
Nothing retries by itself: Datadis refuses an identical query for 24 hours (HTTP 429, never
retry it), Eloverblik asks for a pause after 429/503; both come back as
:class:`~smartmeter_codecs.platforms.PlatformError` with ``http_status``, ``code``, ``text``
and ``retry_after``. Timeouts default to 120 s: Datadis answers consumption queries in tens of
seconds (docs/formats/platforms.md).
"""
from __future__ import annotations

import datetime as dt
import http.client
import logging
import ssl
import urllib.parse
from collections.abc import Iterable

from ..model import Reading
from ..platforms import datadis as _datadis
from ..platforms import eloverblik as _eloverblik
from ..platforms._common import PlatformError
from ..platforms.http import Datadis, Eloverblik, HttpRequest, HttpResponse, check_response

__all__ = ["MAX_BODY", "DatadisClient", "EloverblikClient", "PlatformConnectionError", "PlatformError", "send"]

log = logging.getLogger("smartmeter_codecs.io.platforms_http")
#: largest body accepted (a 24-month hourly curve is ~3 MB)
MAX_BODY = 64 * 1024 * 1024


class PlatformConnectionError(OSError):
    """The platform could not be reached (DNS, refused, TLS, timeout)."""


def send(request: HttpRequest, *, timeout: float = 120.0, context: ssl.SSLContext | None = None) -> HttpResponse:
    """Send one request and return the whole response (no redirects followed, no retries)."""
    url = urllib.parse.urlsplit(request.url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"not an http(s) URL: {request.url!r}")
    conn: http.client.HTTPConnection
    if url.scheme == "https":
        conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=timeout,
                                           context=context or ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    try:
        conn.request(request.method, path, body=request.body, headers=dict(request.headers))
        resp = conn.getresponse()
        body = resp.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise PlatformConnectionError(f"{request.url}: body larger than {MAX_BODY} bytes")
        log.debug("%s %s -> %s (%d bytes)", request.method, request.url, resp.status, len(body))
        return HttpResponse(resp.status, {k: v for k, v in resp.getheaders()}, body)
    except TimeoutError as err:
        raise PlatformConnectionError(f"{request.url}: timed out after {timeout} s") from err
    except (OSError, http.client.HTTPException) as err:
        if isinstance(err, PlatformConnectionError):
            raise
        raise PlatformConnectionError(f"{request.url}: {err}") from err
    finally:
        conn.close()


class DatadisClient:
    """Datadis private API: log in once (token valid 24 h), then supplies, contract, consumption.

    ``base_url`` points elsewhere for tests (a loopback server) or a proxy.
    """

    def __init__(self, username: str, password: str, *, base_url: str = Datadis.BASE, timeout: float = 120.0,
                 context: ssl.SSLContext | None = None) -> None:
        self._user = username
        self._password = password
        self.api = Datadis(base_url)
        self.timeout = timeout
        self.context = context
        self._token: str | None = None
        self._token_time: dt.datetime | None = None

    def _send(self, req: HttpRequest) -> HttpResponse:
        return send(req, timeout=self.timeout, context=self.context)

    def token(self) -> str:
        now = dt.datetime.now(dt.UTC)
        if self._token is None or self._token_time is None or now - self._token_time > dt.timedelta(hours=23):
            self._token = Datadis.parse_login(self._send(self.api.login(self._user, self._password)))
            self._token_time = now
        return self._token

    def _data(self, req_of_token) -> bytes:  # type: ignore[no-untyped-def]
        resp = self._send(req_of_token(self.token()))
        if resp.status == 401:           # token expired early: one new login, then the answer stands
            self._token = None
            resp = self._send(req_of_token(self.token()))
        check_response("datadis", resp)
        return resp.body

    def supplies(self, **kw: object) -> list[_datadis.Supply]:
        return _datadis.supplies(self._data(lambda t: self.api.supplies(t, **kw)))  # type: ignore[arg-type]

    def contracts(self, cups: str, distributor_code: str, **kw: object) -> list[_datadis.Contract]:
        return _datadis.contracts(self._data(lambda t: self.api.contract_detail(t, cups, distributor_code, **kw)))  # type: ignore[arg-type]

    def consumption(self, cups: str, distributor_code: str, start: dt.date | str, end: dt.date | str, *,
                    point_type: int, measurement_type: int = 0, **kw: object) -> list[Reading]:
        """Readings of the months ``start``..``end`` (screened like ``smc.decode_all``)."""
        from ..plausibility import screen
        body = self._data(lambda t: self.api.consumption(t, cups, distributor_code, start, end, point_type=point_type,
                                                         measurement_type=measurement_type, **kw))  # type: ignore[arg-type]
        return [screen(r) for r in _datadis.decode(body)]

    def max_power(self, cups: str, distributor_code: str, start: dt.date | str, end: dt.date | str,
                  **kw: object) -> list[_datadis.MaxPower]:
        return _datadis.max_power(self._data(lambda t: self.api.max_power(t, cups, distributor_code, start, end, **kw)))  # type: ignore[arg-type]


class EloverblikClient:
    """Eloverblik API: refresh token -> data token (kept 23 h) -> time series and details."""

    def __init__(self, refresh_token: str, *, base_url: str = Eloverblik.BASE, third_party: bool = False,
                 timeout: float = 120.0, context: ssl.SSLContext | None = None) -> None:
        self._refresh = refresh_token
        self.api = Eloverblik(base_url, third_party=third_party)
        self.timeout = timeout
        self.context = context
        self._token: str | None = None
        self._token_time: dt.datetime | None = None

    def _send(self, req: HttpRequest) -> HttpResponse:
        return send(req, timeout=self.timeout, context=self.context)

    def data_token(self) -> str:
        now = dt.datetime.now(dt.UTC)
        if self._token is None or self._token_time is None or now - self._token_time > dt.timedelta(hours=23):
            self._token = Eloverblik.parse_token(self._send(self.api.token(self._refresh)))
            self._token_time = now
        return self._token

    def _call(self, make) -> bytes:  # type: ignore[no-untyped-def]
        resp = self._send(make(self.data_token()))
        if resp.status == 401:
            self._token = None
            resp = self._send(make(self.data_token()))
        check_response("eloverblik", resp)
        return resp.body

    def timeseries(self, metering_points: Iterable[str], date_from: dt.date, date_to: dt.date,
                   aggregation: str = "Hour") -> list[Reading]:
        """One Reading per interval of every metering point (PlatformError when one failed;
        the others' Readings are in its ``readings``)."""
        from ..plausibility import screen
        points = list(metering_points)
        body = self._call(lambda t: self.api.timeseries(t, points, date_from, date_to, aggregation))
        return [screen(r) for r in _eloverblik.decode(body)]

    def details(self, metering_points: Iterable[str]) -> list[_eloverblik.MeteringPointDetails]:
        points = list(metering_points)
        return _eloverblik.details(self._call(lambda t: self.api.details(t, points)))

