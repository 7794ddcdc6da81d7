"""Command line: decode, inspect and stream-decode captured frames.

    smartmeter-codecs decode fixtures/dlms/kamstrup-no-list3.hex
    smartmeter-codecs decode --json - < frame.bin
    smartmeter-codecs inspect 7ea0...7e
    smartmeter-codecs stream capture.bin
    smartmeter-codecs formats
    SMGW_PASSWORD=... smartmeter-codecs smgw https://192.168.33.2 --user han1 --fingerprint AB:CD:...

I/O lives here, never in the decoders.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Sequence

from . import __version__
from .api import decode_all, formats, inspect, to_bytes
from .errors import DecodeError
from .keys import Keys
from .model import Reading
from .stream import StreamDecoder


def _read_input(arg: str, binary: bool) -> bytes:
    """A file path (binary, or hex/JSON text), '-' for stdin, or literal hex on the command line."""
    if arg == "-":
        raw = sys.stdin.buffer.read()
    else:
        p = pathlib.Path(arg)
        if p.exists():
            raw = p.read_bytes()
        else:
            return to_bytes(arg)
    if binary:
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    # Hex dumps with comments: drop '#' comment lines (fixture files carry their provenance).
    # Line ends are kept as they are: a P1 telegram's CRC covers its CR LF.
    lines = [ln for ln in text.splitlines(keepends=True) if not ln.lstrip().startswith("#")]
    return to_bytes("".join(lines))


def _keys(ns: argparse.Namespace) -> Keys | None:
    if ns.key or ns.auth_key:
        return Keys(encryption_key=ns.key, authentication_key=ns.auth_key, system_title=ns.system_title)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="smartmeter-codecs",
                                 description="Decode smart-meter frames into typed readings.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("input", help="file (binary, hex text or JSON), '-' for stdin, or hex on the command line")
        p.add_argument("-f", "--format", help="format name (see 'formats'); default: autodetect")
        p.add_argument("-p", "--profile", help="national list/profile where the frame cannot tell")
        p.add_argument("-k", "--key", help="encryption key (hex)")
        p.add_argument("-a", "--auth-key", help="authentication key (hex)")
        p.add_argument("--system-title", help="system title (hex) when the frame does not carry it")
        p.add_argument("--binary", action="store_true", help="treat the file as raw bytes even if it looks like text")

    p_dec = sub.add_parser("decode", help="decode a complete message and print every Reading")
    common(p_dec)
    p_dec.add_argument("--json", action="store_true", help="print JSON instead of text")
    p_ins = sub.add_parser("inspect", help="print the annotated layer tree of a message")
    common(p_ins)
    p_str = sub.add_parser("stream", help="decode a captured byte stream (garbage and broken frames allowed)")
    common(p_str)
    p_str.add_argument("--json", action="store_true", help="print one JSON object per line")
    sub.add_parser("formats", help="list the format names")
    p_gw = sub.add_parser("smgw", help="read a German Smart Meter Gateway over HTTPS (HAN) and print Readings")
    p_gw.add_argument("url", help="https://<gateway HAN address>[:port]")
    p_gw.add_argument("--user", help="HAN user name (from the metering point operator)")
    p_gw.add_argument("--password-env", default="SMGW_PASSWORD",
                      help="environment variable holding the password (default SMGW_PASSWORD)")
    p_gw.add_argument("--fingerprint", help="SHA-256 fingerprint of the gateway's certificate (pinning)")
    p_gw.add_argument("--cafile", help="CA or certificate file to verify the gateway against instead")
    p_gw.add_argument("--vendor", choices=("theben", "emh"), help="default: detect")
    p_gw.add_argument("--usage-point", help="Theben usage-point-id (default: every contract)")
    p_gw.add_argument("--meter", help="EMH meter id (default: every meter)")
    p_gw.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    p_gw.add_argument("--json", action="store_true", help="print one JSON object per line")

    ns = ap.parse_args(argv)
    if ns.command == "smgw":
        return _smgw(ns)
    if ns.command == "formats":
        for f in formats():
            print(f)
        return 0
    data = _read_input(ns.input, ns.binary)
    try:
        keys = _keys(ns)
    except ValueError as err:  # a malformed --key/--auth-key/--system-title: one line, never the key
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        if ns.command == "decode":
            readings = decode_all(data, format=ns.format, keys=keys, profile=ns.profile)
            _print(readings, ns.json)
            return 0 if readings else 1
        if ns.command == "inspect":
            ins = inspect(data, format=ns.format, keys=keys, profile=ns.profile)
            print(ins)
            return 0 if ins.error is None else 1
        dec = StreamDecoder(format=ns.format, keys=keys, profile=ns.profile)
        items = list(dec.feed(data))
        bad = 0
        for item in items:
            if isinstance(item, Reading):
                _print([item], ns.json)
            else:
                bad += 1
                print(f"error: {item}", file=sys.stderr)
        return 0 if any(isinstance(i, Reading) for i in items) else 1
    except DecodeError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    except ValueError as err:       # a user mistake such as an unknown profile= name
        print(f"error: {err}", file=sys.stderr)
        return 2


def _smgw(ns: argparse.Namespace) -> int:
    """Poll a gateway once (I/O in smartmeter_codecs.io.smgw_http)."""
    import os
    import urllib.parse

    from .io.smgw_http import SmgwClient, SmgwError
    url = urllib.parse.urlsplit(ns.url if "://" in ns.url else f"https://{ns.url}")
    try:
        if url.scheme != "https" or not url.hostname:
            raise ValueError(f"expected https://<address>[:port], got {ns.url!r}")
        if ns.user and ns.password_env not in os.environ:
            raise ValueError(f"--user given but the password variable {ns.password_env} is not set")
        client = SmgwClient(url.hostname, port=url.port or 443, username=ns.user,
                            password=os.environ.get(ns.password_env) if ns.user else None,
                            fingerprint=ns.fingerprint, cafile=ns.cafile, timeout=ns.timeout, vendor=ns.vendor)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        with client:
            if client.detect_vendor() == "theben":
                readings = client.theben_readings(ns.usage_point)
            else:
                readings = client.emh_readings(ns.meter)
    except SmgwError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 3
    except DecodeError as err:
        print(f"error: the gateway's answer is not understood: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    _print(readings, ns.json)
    return 0 if readings else 1


def _print(readings: list[Reading], as_json: bool) -> None:
    for r in readings:
        if as_json:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            print(r)
