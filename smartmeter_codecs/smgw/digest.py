"""HTTP Digest access authentication (RFC 7616, which obsoletes RFC 2617), sans-I/O.

The SMGW consumer interfaces authenticate with Digest (Theben IF_GW_CON A-2.1 cites RFC 2617);
Theben firmware has been seen challenging ``algorithm=SHA-256`` and older clients forced MD5
(docs/formats/smgw.md), so MD5, SHA-256 and their ``-sess`` variants are supported, with
``qop=auth`` (or ``auth-int``, hashing the body, when that is all the server offers) and the
RFC 2069 form without qop. ``userhash`` (RFC 7616 3.4.4) is honoured.

Only the header values are computed here; :mod:`smartmeter_codecs.io.smgw_http` sends them.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

__all__ = ["DigestChallenge", "parse_challenges", "choose", "authorization", "ALGORITHMS"]

#: algorithm name -> hash function (RFC 7616 section 3.2: MD5, SHA-256, SHA-512-256; "-sess")
ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PREFERENCE = ("SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf'\s*({_TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|({_TOKEN}))\s*(,|$)')
_SCHEME = re.compile(rf"\s*({_TOKEN})(?:\s+|$)")


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """One ``WWW-Authenticate: Digest ...`` challenge."""

    realm: str
    nonce: str
    algorithm: str = "MD5"          # upper case, e.g. "SHA-256" or "MD5-SESS"
    qop: tuple[str, ...] = ()       # offered, e.g. ("auth", "auth-int"); () = RFC 2069
    opaque: str | None = None
    stale: bool = False
    userhash: bool = False

    @property
    def supported(self) -> bool:
        return self.algorithm.removesuffix("-SESS") in ALGORITHMS


def parse_challenges(header: str) -> list[DigestChallenge]:
    """Every Digest challenge in a ``WWW-Authenticate`` value (other schemes are skipped).

    Raises ValueError for a Digest challenge without ``realm`` or ``nonce``.
    """
    out: list[DigestChallenge] = []
    pos = 0
    scheme: str | None = None
    params: dict[str, str] = {}

    def flush() -> None:
        if scheme is not None and scheme.lower() == "digest":
            if "realm" not in params or "nonce" not in params:
                raise ValueError("a Digest challenge needs realm and nonce")
            out.append(DigestChallenge(
                params["realm"], params["nonce"], params.get("algorithm", "MD5").upper(),
                tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()),
                params.get("opaque"), params.get("stale", "").lower() == "true",
                params.get("userhash", "").lower() == "true"))

    while pos < len(header):
        m = _PARAM.match(header, pos)
        if m and scheme is not None:
            value = m.group(2) if m.group(2) is not None else m.group(3)
            params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            pos = m.end()
            continue
        s = _SCHEME.match(header, pos)
        if not s or not s.group(1):
            raise ValueError(f"cannot parse WWW-Authenticate at {header[pos:pos + 20]!r}")
        flush()
        scheme, params = s.group(1), {}
        pos = s.end()
    flush()
    return out


def choose(challenges: list[DigestChallenge]) -> DigestChallenge | None:
    """The strongest supported challenge (SHA-256 before MD5), ``None`` if none is supported."""
    usable = [c for c in challenges if c.supported]
    usable.sort(key=lambda c: _PREFERENCE.index(c.algorithm) if c.algorithm in _PREFERENCE else 99)
    return usable[0] if usable else None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def authorization(challenge: DigestChallenge, *, username: str, password: str, method: str, uri: str,
                  nc: int = 1, cnonce: str | None = None, body: bytes = b"") -> str:
    """The ``Authorization`` header value answering ``challenge`` (RFC 7616 section 3.4)."""
    base = challenge.algorithm.removesuffix("-SESS")
    if base not in ALGORITHMS:
        raise ValueError(f"unsupported Digest algorithm {challenge.algorithm}")
    hfn = ALGORITHMS[base]

    def h(text: str | bytes) -> str:
        return hfn(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()

    cnonce = cnonce or os.urandom(16).hex()
    qop = "auth" if "auth" in challenge.qop else ("auth-int" if "auth-int" in challenge.qop else None)
    a1 = f"{username}:{challenge.realm}:{password}"
    ha1 = h(a1)
    if challenge.algorithm.endswith("-SESS"):
        ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}")
    a2 = f"{method}:{uri}" + (f":{h(body)}" if qop == "auth-int" else "")
    ha2 = h(a2)
    ncs = f"{nc:08x}"
    if qop:
        response = h(f"{ha1}:{challenge.nonce}:{ncs}:{cnonce}:{qop}:{ha2}")
    else:
        response = h(f"{ha1}:{challenge.nonce}:{ha2}")
    user = h(f"{username}:{challenge.realm}") if challenge.userhash else username
    parts = [f"username={_quote(user)}", f"realm={_quote(challenge.realm)}", f"uri={_quote(uri)}",
             f"algorithm={challenge.algorithm}", f"nonce={_quote(challenge.nonce)}"]
    if qop:
        parts += [f"nc={ncs}", f"cnonce={_quote(cnonce)}", f"qop={qop}"]
    parts.append(f"response={_quote(response)}")
    if challenge.opaque is not None:
        parts.append(f"opaque={_quote(challenge.opaque)}")
    if challenge.userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)
