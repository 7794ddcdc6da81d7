"""Sans-I/O request builders for the platform APIs, their documented limits as data, and
the mapping of HTTP answers to typed errors. No sockets here: :mod:`smartmeter_codecs.io.platforms_http`
sends these requests.

Sources (docs/formats/platforms.md): Datadis (endpoints, the 24-hour repeat rule, the
error table), Eloverblik (token flow, paths, 730-day window, exclusive ``dateTo``, rate
limits) and Elhub (only aggregated public statistics, no per-meter API for end users).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._common import PlatformError

__all__ = [
    "RATE_LIMITS",
    "Datadis",
    "ElhubEnergyData",
    "Eloverblik",
    "HttpRequest",
    "HttpResponse",
    "RateLimit",
    "check_response",
    "retry_after",
]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request to send: method, absolute URL, headers and body (bytes or None)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    #: the platform's repeat-rule key (Datadis: same query within 24 h is refused), or None
    query_key: tuple[str, ...] | None = None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A documented limit: at most ``calls`` per ``per_seconds`` for ``scope``."""

    platform: str
    scope: str
    calls: int
    per_seconds: float
    note: str


#: The platforms' documented limits (docs/formats/platforms.md).
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit("datadis", "identical consumption/max-power/reactive query (user + parameters)", 1, 86400,
              "HTTP 429 'Consulta ya realizada en las últimas 24 horas'; never retry a 429"),
    RateLimit("eloverblik", "token endpoint per IP", 2, 60, "HTTP 429; wait before retrying"),
    RateLimit("eloverblik", "calls per IP", 120, 60, "HTTP 429; on 503 (DataHub overloaded) wait 1 min"),
    RateLimit("eloverblik", "calls across all users", 1200, 60, "HTTP 429"),
)


def retry_after(resp: HttpResponse, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), else None."""
    value = resp.header("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():   # str.isdigit() also takes "²", which int() refuses
        return float(value)
    try:
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace").strip()


def check_response(platform: str, resp: HttpResponse) -> None:
    """Raise :class:`PlatformError` for an HTTP error answer (code = the platform's code when
    the body has one, else the HTTP status); return for 2xx."""
    if 200 <= resp.status < 300:
        return
    text = _text(resp.body)
    code: int | None = resp.status
    try:
        doc: Any = json.loads(text) if text[:1] in '{["' else text
    except ValueError:
        doc = text
    if isinstance(doc, dict):
        msg = doc.get("message") or doc.get("Message") or doc.get("detail") or doc.get("title") or doc.get("error")
        text = str(msg) if msg else text
    elif isinstance(doc, str):
        text = doc
        m = re.match(r"#([0-9]{4,6}):\s*(.*)", doc, re.DOTALL)
        if m:
            code, text = int(m[1]), m[2]
    if resp.status == 429 and platform == "datadis" and not text:
        text = "Consulta ya realizada en las últimas 24 horas"
    raise PlatformError(platform, None, f"{platform} answered HTTP {resp.status}: {text or '(empty body)'}", code,
                        platform=platform, text=text, http_status=resp.status, retry_after=retry_after(resp))


# ---- Datadis ------------------------------------------------------------------------------------

def _month(value: dt.date | str) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m")
    if not re.fullmatch(r"[0-9]{4}/[0-9]{2}", value):
        raise ValueError(f"Datadis dates are whole months YYYY/MM, got {value!r}")
    return value


class Datadis:
    """Requests for the Datadis private API (``https://datadis.es``).

    Every data call needs ``Accept: application/json`` (else 400 or an empty 500),
    ``Accept-Encoding: identity`` (bodies have been mislabelled gzip) and an explicit
    User-Agent (a library default has been answered 403) - docs/formats/platforms.md
    """

    BASE = "https://datadis.es"
    USER_AGENT = "smartmeter-codecs (+https://github.com/)"

    def __init__(self, base_url: str = BASE, user_agent: str = USER_AGENT) -> None:
        self.base = base_url.rstrip("/")
        self.user_agent = user_agent

    def login(self, username: str, password: str) -> HttpRequest:
        """``POST /nikola-auth/tokens/login`` (form body); the answer is the bare JWT (24 h)."""
        body = urllib.parse.urlencode({"username": username, "password": password}).encode()
        return HttpRequest("POST", f"{self.base}/nikola-auth/tokens/login",
                           (("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", self.user_agent),
                            ("Accept-Encoding", "identity")), body)

    @staticmethod
    def parse_login(resp: HttpResponse) -> str:
        """The JWT of a login answer. A maintenance/WAF page has come with HTTP 200: a body
        starting with ``<`` or ``{`` is refused."""
        check_response("datadis", resp)
        token = _text(resp.body)
        if not token or token[:1] in "<{[" or token.count(".") != 2:
            raise PlatformError("datadis", None, f"the login answer is not a token: {token[:60]!r}", resp.status,
                                platform="datadis", text=token[:200], http_status=resp.status)
        return token

    def _get(self, token: str, path: str, params: dict[str, Any], key: tuple[str, ...] | None = None) -> HttpRequest:
        clean = {k: str(v) for k, v in params.items() if v is not None}
        query = ("?" + urllib.parse.urlencode(clean, safe="/")) if clean else ""
        return HttpRequest("GET", f"{self.base}/api-private/api/{path}{query}",
                           (("Authorization", f"Bearer {token}"), ("Accept", "application/json"),
                            ("Accept-Encoding", "identity"), ("User-Agent", self.user_agent)), None, key)

    def supplies(self, token: str, *, authorized_nif: str | None = None, distributor_code: str | None = None,
                 v2: bool = False) -> HttpRequest:
        return self._get(token, "get-supplies-v2" if v2 else "get-supplies",
                         {"authorizedNif": authorized_nif, "distributorCode": distributor_code})

    def contract_detail(self, token: str, cups: str, distributor_code: str, *, authorized_nif: str | None = None,
                        v2: bool = False) -> HttpRequest:
        return self._get(token, "get-contract-detail-v2" if v2 else "get-contract-detail",
                         {"cups": cups, "distributorCode": distributor_code, "authorizedNif": authorized_nif})

    def consumption(self, token: str, cups: str, distributor_code: str, start: dt.date | str, end: dt.date | str, *,
                    point_type: int, measurement_type: int = 0, authorized_nif: str | None = None,
                    v2: bool = False) -> HttpRequest:
        """Hourly (``measurement_type=0``) or quarter-hourly (1; point types 1-2 only) curve for
        whole months ``start``..``end`` (inclusive; the last 24 months)."""
        if measurement_type not in (0, 1):
            raise ValueError("measurement_type is 0 (hourly) or 1 (quarter-hourly)")
        if point_type not in (1, 2, 3, 4, 5):
            raise ValueError("point_type is 1..5 (copy it from get-supplies)")
        s, e = _month(start), _month(end)
        if s > e:
            raise ValueError(f"start month {s} is after end month {e}")
        params = {"cups": cups, "distributorCode": distributor_code, "startDate": s, "endDate": e,
                  "measurementType": measurement_type, "pointType": point_type, "authorizedNif": authorized_nif}
        key = ("consumption", cups, distributor_code, s, e, str(measurement_type), str(point_type), authorized_nif or "")
        return self._get(token, "get-consumption-data-v2" if v2 else "get-consumption-data", params, key)

    def max_power(self, token: str, cups: str, distributor_code: str, start: dt.date | str, end: dt.date | str, *,
                  authorized_nif: str | None = None, v2: bool = False) -> HttpRequest:
        s, e = _month(start), _month(end)
        return self._get(token, "get-max-power-v2" if v2 else "get-max-power",
                         {"cups": cups, "distributorCode": distributor_code, "startDate": s, "endDate": e,
                          "authorizedNif": authorized_nif}, ("max-power", cups, distributor_code, s, e))


# ---- Eloverblik ---------------------------------------------------------------------------------

_GSRN = re.compile(r"[0-9]{18}\Z")
AGGREGATIONS = ("Actual", "Quarter", "Hour", "Day", "Month", "Year")


class Eloverblik:
    """Requests for the Eloverblik customer API (``third_party=True``: the third-party API).

    Flow: :meth:`token` with the refresh token (made in the portal, up to 1 year) ->
    :meth:`parse_token` -> data token (24 h) for :meth:`timeseries` / :meth:`details`.
    """

    BASE = "https://api.eloverblik.dk"

    def __init__(self, base_url: str = BASE, *, third_party: bool = False) -> None:
        self.base = base_url.rstrip("/")
        self.api = "thirdpartyapi" if third_party else "customerapi"

    def token(self, refresh_token: str) -> HttpRequest:
        return HttpRequest("GET", f"{self.base}/{self.api}/api/token",
                           (("Authorization", f"Bearer {refresh_token}"), ("Accept", "application/json")))

    @staticmethod
    def parse_token(resp: HttpResponse) -> str:
        """The data access token of a ``{"result": "<jwt>"}`` answer."""
        check_response("eloverblik", resp)
        try:
            doc = json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("result"), str) or not doc["result"]:
            raise PlatformError("eloverblik", None, "the token answer has no result string", resp.status,
                                platform="eloverblik", text=_text(resp.body)[:200], http_status=resp.status)
        return str(doc["result"])

    @staticmethod
    def _points(ids: Iterable[str]) -> bytes:
        points = list(ids)
        if not points:
            raise ValueError("at least one metering point id")
        bad = [p for p in points if not _GSRN.match(p)]
        if bad:
            raise ValueError(f"metering point ids are 18 digits (GSRN); Eloverblik answers 20013 for {bad}")
        if len(points) > 10:
            raise ValueError("at most 10 metering points per request (Eloverblik recommendation)")
        return json.dumps({"meteringPoints": {"meteringPoint": points}}).encode()

    def _post(self, token: str, path: str, body: bytes) -> HttpRequest:
        return HttpRequest("POST", f"{self.base}/{self.api}/api/{path}",
                           (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                            ("Accept", "application/json")), body)

    def timeseries(self, data_token: str, metering_points: Iterable[str], date_from: dt.date, date_to: dt.date,
                   aggregation: str = "Hour") -> HttpRequest:
        """``POST meterdata/gettimeseries/{from}/{to}/{aggregation}``: Danish local dates,
        ``date_to`` exclusive (one day = ``[D, D+1)``; equal dates are refused with 30002),
        at most 730 days."""
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation is one of {AGGREGATIONS}")
        if date_to <= date_from:
            raise ValueError("date_to is exclusive and must be after date_from (Eloverblik error 30001/30002)")
        if (date_to - date_from).days > 730:
            raise ValueError("at most 730 days per request")
        return self._post(data_token, f"meterdata/gettimeseries/{date_from:%Y-%m-%d}/{date_to:%Y-%m-%d}/{aggregation}",
                          self._points(metering_points))

    def details(self, data_token: str, metering_points: Iterable[str]) -> HttpRequest:
        path = "meteringpoint/getdetails" if self.api == "thirdpartyapi" else "meteringpoints/meteringpoint/getdetails"
        return self._post(data_token, path, self._points(metering_points))

    def metering_points(self, data_token: str, include_all: bool = False) -> HttpRequest:
        return HttpRequest("GET", f"{self.base}/{self.api}/api/meteringpoints/meteringpoints?includeAll="
                                  f"{'true' if include_all else 'false'}",
                           (("Authorization", f"Bearer {data_token}"), ("Accept", "application/json")))


# ---- Elhub --------------------------------------------------------------------------------------

class ElhubEnergyData:
    """The public Elhub Energy Data API (``api.elhub.no/energy-data/v0``, JSON:API, CC BY 4.0):
    aggregated statistics per price area, grid area or municipality only - Elhub offers end
    users no per-metering-point API (docs/formats/platforms.md); per-meter data is the Min side
    CSV (format ``elhub-csv``). The response is not decoded into Readings."""

    BASE = "https://api.elhub.no/energy-data/v0"
    ENTITIES = ("price-areas", "grid-areas", "municipalities")

    def __init__(self, base_url: str = BASE) -> None:
        self.base = base_url.rstrip("/")

    def dataset(self, entity: str, dataset: str, start: dt.datetime, end: dt.datetime) -> HttpRequest:
        """e.g. ``dataset("price-areas", "CONSUMPTION_PER_GROUP_MBA_HOUR", start, end)``."""
        if entity not in self.ENTITIES:
            raise ValueError(f"entity is one of {self.ENTITIES}")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        q = urllib.parse.urlencode({"dataset": dataset, "startDate": start.isoformat(), "endDate": end.isoformat()})
        return HttpRequest("GET", f"{self.base}/{entity}?{q}", (("Accept", "application/json"),))
