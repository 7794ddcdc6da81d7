"""A real HTTP(S) server on 127.0.0.1 that answers like Datadis and Eloverblik (no mocks).

It replays the corpus bodies (fixtures/platforms/cloud.json) and the documented error answers
(research/cloud.md 1.1 and 2): Datadis 401 Spring body for a bad token, 400 plain text for a
CUPS without consent, 429 for a query repeated within 24 hours; Eloverblik 401 for a bad
refresh token, 429 with Retry-After after two token calls a minute, "#30002"/"#20013" error
bodies, 503 DataHub unavailable.
"""
from __future__ import annotations

import http.server
import json
import pathlib
import ssl
import threading
import urllib.parse
from typing import Any

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "platforms" / "cloud.json"
BODIES = {e["id"]: e["body"] for e in json.loads(FIX.read_text())["entries"]}
USER, PASSWORD = "12345678Z", "secret"
JWT = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiIxMjM0NTY3OFoifQ.c2lnbmF0dXJl"
REFRESH, DATA_TOKEN = "refresh-token-1", "data-token-1"


class PlatformServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.datadis_queries: set[str] = set()
        self.token_calls = 0
        self.lock = threading.Lock()
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> PlatformServer:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: PlatformServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: str | bytes, ctype: str = "application/json", headers: dict | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: bytes) -> dict[str, Any]:
        rec = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        with self.server.lock:
            self.server.requests.append(rec)
        return rec

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        self._route(self.rfile.read(n))

    def _route(self, body: bytes) -> None:
        self._record(body)
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        auth = self.headers.get("Authorization", "")
        if path == "/nikola-auth/tokens/login":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if form.get("username") == USER and form.get("password") == PASSWORD:
                return self._send(200, JWT, "text/plain;charset=UTF-8")
            return self._send(401, BODIES["es-datadis-401"].replace("get-supplies", "login"))
        if path.startswith("/api-private/api/"):
            return self._datadis(path.rsplit("/", 1)[1], q, auth)
        if path.lower().startswith("/customerapi/api/"):
            return self._eloverblik(path[len("/customerapi/api/"):].lower(), auth)
        self._send(403, "403 Forbidden", "text/plain")

    def _datadis(self, endpoint: str, q: dict[str, str], auth: str) -> None:
        if auth != f"Bearer {JWT}":
            return self._send(401, BODIES["es-datadis-401"])
        if self.headers.get("Accept") != "application/json":
            return self._send(400, "Parámetro en cabecera requerido en estado vacío, con formato erróneo o con "
                                   "valores fuera de rango")
        if q.get("cups") == "ES0000000000000000NOCONSENT":
            return self._send(400, "No se encuentra autorizado el cups introducido")
        if endpoint in ("get-consumption-data", "get-max-power"):
            key = json.dumps([endpoint, sorted(q.items())])
            with self.server.lock:
                repeated = key in self.server.datadis_queries
                self.server.datadis_queries.add(key)
            if repeated:
                return self._send(429, "Consulta ya realizada en las últimas 24 horas", "text/plain",
                                  {"Retry-After": "86400"})
        bodies = {"get-supplies": "es-datadis-supplies-v1", "get-contract-detail": "es-datadis-contract-v1",
                  "get-consumption-data": "es-datadis-consumption-dst-ide", "get-max-power": "es-datadis-maxpower-v1",
                  "get-consumption-data-v2": "es-datadis-v2-distributor-error"}
        if endpoint not in bodies:
            return self._send(403, "403 Forbidden", "text/plain")
        self._send(200, BODIES[bodies[endpoint]])

    def _eloverblik(self, route: str, auth: str) -> None:
        if route == "token":
            with self.server.lock:
                self.server.token_calls += 1
                calls = self.server.token_calls
            if calls > 2:     # 2 token calls per minute and IP
                return self._send(429, '"Too many requests"', headers={"Retry-After": "60"})
            if auth != f"Bearer {REFRESH}":
                return self._send(401, '"#50001: The token is not a valid refresh token."')
            return self._send(200, json.dumps({"result": DATA_TOKEN}))
        if auth != f"Bearer {DATA_TOKEN}":
            return self._send(401, '"#20012: Unauthorized"')
        if route.startswith("meterdata/gettimeseries/"):
            _, frm, to, _agg = route.rsplit("/", 3)
            if frm == to:
                return self._send(400, BODIES["dk-eloverblik-error-30002"])
            if frm == "2099-01-01":
                return self._send(503, "DataHub unavailable", "text/plain", {"Retry-After": "60"})
            return self._send(200, BODIES["dk-eloverblik-timeseries-real"])
        if route == "meteringpoints/meteringpoint/getdetails":
            return self._send(200, BODIES["dk-eloverblik-details"])
        if route == "meteringpoints/meteringpoint/getcharges":
            return self._send(400, BODIES["dk-eloverblik-error-20013"])
        self._send(404, '"not found"')
