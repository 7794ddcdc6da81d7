"""A real HTTPS server on 127.0.0.1 for the SMGW client tests (no mocks).

It generates its own self-signed certificate (EC secp384r1, the curve Theben's HAN uses,
IF_GW_CON A-1.2), demands HTTP Digest (MD5 or SHA-256), checks the answer with its own
independent computation (RFC 7616 section 3.4.1), and serves the corpus responses:
Theben ``/smgw/m2m`` (307 discovery, JSON methods) and EMH ``/json/metering/...``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import ipaddress
import json
import re
import secrets
import ssl
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER = "consumer1"
PASSWORD = "s3cret-HAN"
USERID = "consumer1.sm"
REALM = "smgw-han"


def make_certificate(tmp_path, name: str = "smgw") -> tuple[str, str, bytes]:
    """(cert PEM path, key PEM path, cert DER) of a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA384()))
    cert_path = tmp_path / f"{name}.crt"
    key_path = tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path), cert.public_bytes(serialization.Encoding.DER)


def _params(header: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}


class Gateway(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, corpus: dict[str, Any], algorithm: str, cert: str, key: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.corpus = corpus
        self.algorithm = algorithm
        self.nonces: set[str] = set()
        self.requests: list[tuple[str, str, bytes]] = []   # authenticated requests that reached a handler
        self.seen_nc: dict[str, int] = {}
        self.release = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def verify_request(self, request: Any, client_address: Any) -> bool:  # once per TCP connection
        self.connections += 1
        return True

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _challenge(self, stale: bool = False) -> None:
        nonce = secrets.token_hex(16)
        self.server.nonces.add(nonce)
        self._send(401, b"", {"WWW-Authenticate": f'Digest realm="{REALM}", qop="auth", algorithm='
                              f'{self.server.algorithm}, nonce="{nonce}", opaque="op4que"'
                              + (", stale=true" if stale else "")})

    def _authenticated(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            self._challenge()
            return False
        p = _params(header[7:])
        h = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[self.server.algorithm]

        def H(s: str) -> str:
            return h(s.encode()).hexdigest()
        ha1 = H(f"{USER}:{REALM}:{PASSWORD}")
        ha2 = H(f"{self.command}:{self.path}")
        want = H(f"{ha1}:{p.get('nonce')}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
        if p.get("nonce") not in self.server.nonces:
            self._challenge(stale=True)
            return False
        nc = int(p.get("nc", "0"), 16)
        if (p.get("username") != USER or p.get("response") != want or p.get("uri") != self.path
                or p.get("algorithm") != self.server.algorithm or p.get("opaque") != "op4que"
                or nc <= self.server.seen_nc.get(p["nonce"], 0)):
            self._challenge()
            return False
        self.server.seen_nc[p["nonce"]] = nc
        return True

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def do_GET(self) -> None:
        if not self._authenticated():
            return
        self.server.requests.append(("GET", self.path, b""))
        c = self.server.corpus
        if self.path == "/smgw/m2m" and "theben" in c:
            self._send(307, b"", {"Location": f"/smgw/m2m/{USERID}/json"})
        elif self.path == "/json/metering/origin/" and "emh-origin" in c:
            self._send(200, json.dumps(c["emh-origin"]).encode(), {"Content-Type": "application/json"})
        elif self.path.startswith("/json/metering/origin/") and self.path.endswith("/extended") and "emh-extended" in c:
            self._send(200, json.dumps(c["emh-extended"]).encode(), {"Content-Type": "application/json"})
        else:
            self._send(404)

    def do_POST(self) -> None:
        body = self._body()
        if not self._authenticated():
            return
        self.server.requests.append(("POST", self.path, body))
        if self.path != f"/smgw/m2m/{USERID}/json" or "theben" not in self.server.corpus:
            self._send(404)
            return
        if self.headers.get("Content-Type") != "application/json":
            self._send(400)  # Theben is strict about it (research/smgw.md 1)
            return
        req = json.loads(body)
        method = req.get("method")
        upid = req.get("usage-point-id")
        if upid == "slow":
            self.server.release.wait(10)
            return
        if upid == "malformed":
            self._send(200, b'{"method":"readings","readings":{"channels":[{"obis":"0100010800ff","readings":[{"val')
            return
        if method == "self-test":
            self._send(403)
            return
        doc = self.server.corpus["theben"].get(method)
        if doc is None:
            self._send(400)
            return
        self._send(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})
