"""Command line: decode, inspect, stream-decode live meters and captures, simulate a meter.

    smartmeter-codecs decode fixtures/dlms/kamstrup-no-list3-hdlc-em001-1.hex
    smartmeter-codecs decode --json - < frame.bin
    smartmeter-codecs inspect 7ea0...7e
    smartmeter-codecs stream capture.bin
    smartmeter-codecs stream --port /dev/ttyUSB0 --preset no-han
    smartmeter-codecs stream --tcp 192.168.1.50:8888 --format p1 --json --out session.jsonl
    smartmeter-codecs simulate --format p1 --pty /tmp/meter
    smartmeter-codecs formats | presets
    SMGW_PASSWORD=... smartmeter-codecs smgw https://192.168.33.2 --user han1 --fingerprint AB:CD:...
    DLMS_PASSWORD=... smartmeter-codecs dlms-optical /dev/ttyUSB0 --client 2 --count 1
    OSGP_MEP_KEY=... smartmeter-codecs osgp /dev/ttyUSB0 --count 10

Exit codes: 0 success; 1 the input held no reading (or only broken frames); 2 a usage
mistake (bad argument, unknown name, missing file, missing optional package); 3 a port or
connection that cannot be opened or was lost for good; 130 interrupted (Ctrl-C); 141 the
reader of our output went away (``| head -1``), silently, like other Unix tools.

I/O lives here and in ``smartmeter_codecs.io``, never in the decoders.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import io
import itertools
import json
import logging
import os
import pathlib
import sys
import time
from typing import Any, BinaryIO, Iterator, Sequence

from . import __version__
from .api import decode_all, formats, inspect
from .errors import DecodeError
from .keys import Keys
from .model import Reading
from .io._extras import MissingExtraError
from .io.backoff import Backoff
from ._hexdump import parse_dump
from .io.presets import PRESETS, get_preset
from .io.reader import MeterReader, read_serial, read_tcp
from .io.record import Recorder, open_recorder, reading_json
from .io.transports import Connection, FileConnection, parse_hostport, serial_settings

EXIT_OK, EXIT_EMPTY, EXIT_USAGE, EXIT_IO, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 3, 130, 141

PROG = "smartmeter-codecs"


class UsageError(Exception):
    """A user mistake: printed as one line, exit code 2."""


class _LinkError(Exception):
    """A port or connection failed for good: one line, exit code 3."""


class _Closed(Exception):
    """stdout was closed by its reader (``| head -1``)."""


# --------------------------------------------------------------------------- input

def _open_path(arg: str) -> pathlib.Path | None:
    """The file ``arg`` names, None when there is none; UsageError for a directory."""
    p = pathlib.Path(arg)
    try:
        if p.is_dir():
            raise UsageError(f"{arg} is a directory, not a capture file")
        return p if p.exists() else None
    except OSError:   # e.g. a 500-character hex argument: "file name too long"
        return None


def _literal(arg: str) -> bytes | None:
    """Hex (any dump style) or JSON given on the command line, else None."""
    raw = arg.encode("utf-8")
    dump = parse_dump(raw)
    if dump is not None:
        return dump
    if arg.lstrip()[:1] in ("{", "["):
        return raw
    return None


def _read_input(arg: str, binary: bool) -> bytes:
    """A file path (its bytes as they are, or the bytes of a hex dump), '-' for stdin, or literal
    hex/JSON on the command line."""
    if arg == "-":
        raw = sys.stdin.buffer.read()
    else:
        path = _open_path(arg)
        if path is None:
            lit = _literal(arg)
            if lit is None:
                raise UsageError(f"no such file: {arg} (and it is not hex or JSON either)")
            return lit
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise UsageError(f"cannot read {arg}: {err.strerror or err}") from None
    if binary:
        return raw
    dump = parse_dump(raw)
    return dump if dump is not None else raw


def _keys(ns: argparse.Namespace) -> Keys | None:
    if not (ns.key or ns.auth_key or ns.system_title):
        return None
    try:
        return Keys(encryption_key=ns.key, authentication_key=ns.auth_key, system_title=ns.system_title)
    except ValueError as err:
        flag = {"encryption_key": "-k/--key", "authentication_key": "-a/--auth-key",
                "system_title": "--system-title"}
        msg = str(err)
        for name, f in flag.items():
            msg = msg.replace(name, f)
        raise UsageError(f"{msg}; give keys as hex") from None


# --------------------------------------------------------------------------- output

def _emit(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()   # each Reading is seen at once, also through a pipe
    except BrokenPipeError:
        raise _Closed() from None


def _print_reading(r: Reading, as_json: bool) -> None:
    _emit(json.dumps(reading_json(r), ensure_ascii=False) if as_json else str(r))


def _error_json(err: DecodeError) -> str:
    return json.dumps({"error": type(err).__name__, "layer": err.layer, "offset": err.offset,
                       "message": err.message}, ensure_ascii=False)


class _Progress:
    """A one-line progress bar on stderr for long capture files (only when stderr is a TTY)."""

    def __init__(self, total: int, name: str) -> None:
        self.total = max(total, 1)
        self.name = name
        self.readings = 0
        self.bytes = 0
        self._last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        self.bytes = done
        now = time.monotonic()
        if now - self._last < 0.1 and not force:
            return   # redrawing more often than 10 times a second only costs time
        self._last = now
        frac = min(done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r{self.name}: [{bar:<30}] {frac:4.0%} {done / 1e6:.1f}/{self.total / 1e6:.1f} MB, "
                         f"{self.readings} readings")
        sys.stderr.flush()

    def done(self) -> None:
        self.update(self.bytes, force=True)   # the final state stays on the terminal
        sys.stderr.write("\n")
        sys.stderr.flush()


# --------------------------------------------------------------------------- stream

class _Prefixed:
    """A connection that first returns bytes already read (the sniffed start of a file)."""

    def __init__(self, prefix: bytes, conn: Connection) -> None:
        self._prefix = prefix
        self._conn = conn

    def read(self) -> bytes | None:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        return self._conn.read()

    def close(self) -> None:
        self._conn.close()


def _file_reader(arg: str, ns: argparse.Namespace, keys: Keys | None) -> tuple[MeterReader, _Progress | None]:
    """A reader over a capture file or stdin: bytes as they come; a hex dump is converted first."""
    if arg == "-":
        f: BinaryIO = sys.stdin.buffer
        name, size = "stdin", None
    else:
        path = _open_path(arg)
        if path is None:
            lit = _literal(arg)
            if lit is None:
                raise UsageError(f"no such file: {arg}")
            f, name, size = io.BytesIO(lit), "argument", None
        else:
            if path.is_char_device() and str(path.resolve()).startswith(("/dev/tty", "/dev/pts", "/dev/cu.")):
                # read as a file, a tty keeps its cooked line settings (CR->LF, no parity setup)
                raise UsageError(f"{arg} is a serial device: use --port {arg} with --preset or --baud")
            try:
                f = open(path, "rb")
            except OSError as err:
                raise UsageError(f"cannot read {arg}: {err.strerror or err}") from None
            name, size = path.name, path.stat().st_size
    conn = FileConnection(f, close=arg != "-")
    first = conn.read() or b""
    cut = first.rfind(b"\n") + 1
    prefix: bytes
    if not ns.binary and cut and parse_dump(first[:cut]) is not None:
        # a text hex dump: read it whole (dumps are small) and hand its bytes on
        rest = [first]
        while (chunk := conn.read()) is not None:
            rest.append(chunk)
        whole = b"".join(rest)
        dump = parse_dump(whole)
        prefix = dump if dump is not None else whole
    else:
        prefix = first
    # only for a terminal watching a file whose Readings go elsewhere (a pipe, --out, /dev/null):
    # when stdout is the same terminal, the printed Readings are the progress
    show = bool(size) and not ns.no_progress and sys.stderr.isatty() and not sys.stdout.isatty()
    progress = _Progress(size or 0, name) if show else None
    reader = MeterReader(lambda: _Prefixed(prefix, conn), description=name, format=ns.format, keys=keys,
                         profile=ns.profile, tz=ns.tz, reconnect=None, errors="yield",
                         on_bytes=progress.update if progress else None)
    return reader, progress


def _backoff(ns: argparse.Namespace) -> Backoff | None:
    if ns.no_reconnect:
        return None
    # first=False: a mistyped port or host is an error at once, not an endless retry loop
    return Backoff(initial=ns.retry_initial, maximum=ns.retry_max, attempts=ns.retries, first=False)


def _live_reader(ns: argparse.Namespace, keys: Keys | None) -> MeterReader:
    if ns.port:
        return read_serial(ns.port, preset=ns.preset, baudrate=ns.baud, bytesize=ns.bytesize,
                           parity=ns.parity, stopbits=ns.stopbits, format=ns.format, keys=keys,
                           profile=ns.profile, tz=ns.tz, reconnect=_backoff(ns), idle_timeout=ns.idle_timeout)
    host, port = parse_hostport(ns.tcp)
    return read_tcp(host, port, format=ns.format, keys=keys, profile=ns.profile, tz=ns.tz,
                    reconnect=_backoff(ns), idle_timeout=ns.idle_timeout)


def _cmd_stream(ns: argparse.Namespace) -> int:
    keys = _keys(ns)
    if ns.format is None and ns.profile and not ns.preset:
        # a profile belongs to one format: a stream detecting its format would hand the profile
        # to every candidate format, and the others reject the name
        owners = [fmt for fmt, names in _profiles().items() if ns.profile in names]
        if len(owners) == 1:
            ns.format = owners[0]
    if (ns.port or ns.tcp) and ns.input:
        raise UsageError("give capture files or --port/--tcp, not both")
    if ns.port and ns.tcp:
        raise UsageError("give --port or --tcp, not both")
    if ns.preset and not ns.port:
        raise UsageError("--preset sets serial line settings: use it with --port")
    if ns.port is None and ns.tcp is None and not ns.input:
        if sys.stdin.isatty():
            raise UsageError("nothing to read: give a capture file, '-' for stdin, --port DEV or --tcp HOST:PORT")
        ns.input = ["-"]
    recorder: Recorder | None = open_recorder(ns.out) if ns.out else None
    readings = 0
    try:
        if ns.port or ns.tcp:
            reader = _live_reader(ns, keys)
            try:
                readings = _consume(reader, ns, recorder, None)
            except OSError as err:
                if isinstance(err, BrokenPipeError):
                    raise
                raise _LinkError(f"{reader.description}: {err.strerror or err}") from None
        else:
            for arg in ns.input:
                reader, progress = _file_reader(arg, ns, keys)
                try:
                    readings += _consume(reader, ns, recorder, progress)
                finally:
                    if progress:
                        progress.done()
                if ns.count and readings >= ns.count:
                    break
    finally:
        if recorder is not None:
            recorder.close()
    if not readings and not ns.quiet and not (ns.port or ns.tcp):
        # say why nothing came out: byte streams only here; documents go through `decode`
        sys.stderr.write("error: no meter reading in the input; if it is a JSON, XML or CSV document (an "
                         "SMGW response, a platform export), use 'smartmeter-codecs decode'\n")
    return EXIT_OK if readings else EXIT_EMPTY


def _consume(reader: MeterReader, ns: argparse.Namespace, recorder: Recorder | None,
             progress: _Progress | None) -> int:
    readings = 0
    for item in reader:
        if isinstance(item, Reading):
            readings += 1
            if progress:
                progress.readings += 1
                progress.update(reader.bytes_read)
            _print_reading(item, ns.json)
            if recorder is not None:
                recorder.write(item)
            if ns.count and readings >= ns.count:
                reader.close()
                break
        elif ns.json:
            _emit(_error_json(item))
        elif not ns.quiet:
            sys.stderr.write(f"error: {type(item).__name__}: {item}\n")
    return readings


# --------------------------------------------------------------------------- simulate

def _cmd_simulate(ns: argparse.Namespace) -> int:
    from .io import simulator as sim

    keys = _keys(ns)
    targets = [t for t in (ns.port, ns.pty, ns.listen, ns.tcp) if t is not None]
    if len(targets) > 1:
        raise UsageError("give one of --port, --pty, --listen or --tcp (none: frames go to stdout)")
    preset = get_preset(ns.preset) if ns.preset else None
    interval = ns.interval if ns.interval is not None else (
        preset.interval.total_seconds() if preset else 1.0)
    if interval < 0:
        raise UsageError("--interval must not be negative")
    fmt = ns.format or (preset.format if preset else None)
    frames: Iterator[bytes]
    if ns.input:
        captured = [_read_input(a, ns.binary) for a in ns.input]
        frames = itertools.cycle(captured) if not ns.once else iter(captured)
    else:
        if fmt is None:
            raise UsageError("give capture files to send, or -f/--format to generate frames")
        clock = ns.clock_step if ns.clock_step is not None else (interval or 1.0)
        if clock <= 0:
            raise UsageError("--clock-step must be positive")
        step = _dt.timedelta(seconds=clock)
        frames = sim.generated_frames(fmt, profile=ns.profile, keys=keys, meter_id=ns.meter_id, step=step)
        first = next(frames)   # an encoder that cannot do this format says so now, as a usage error
        frames = itertools.chain([first], frames)
    sink: Any
    if ns.pty is not None:
        sink = sim.PtySink(ns.pty or None)
        print(f"simulated meter on {sink.path}" + (f" (link {sink.link})" if sink.link else ""),
              file=sys.stderr, flush=True)
    elif ns.listen is not None:
        host, port = parse_hostport(ns.listen)
        sink = sim.TcpServerSink(host, port)
        print(f"simulated meter listening on {sink.address[0]}:{sink.address[1]}", file=sys.stderr, flush=True)
    elif ns.tcp is not None:
        host, port = parse_hostport(ns.tcp)
        try:
            sink = sim.TcpClientSink(host, port)
        except OSError as err:
            raise _LinkError(f"tcp {host}:{port}: {err.strerror or err}") from None
    elif ns.port is not None:
        settings = serial_settings(ns.preset, baudrate=ns.baud, bytesize=ns.bytesize, parity=ns.parity,
                                   stopbits=ns.stopbits)
        sink = sim.SerialSink(ns.port, settings)
    else:
        sink = sim.StreamSink(sys.stdout.buffer)
    try:
        sim.run(frames, sink, interval=interval, count=ns.count, garbage=ns.garbage)
    except BrokenPipeError:
        raise _Closed() from None
    finally:
        sink.close()
    return EXIT_OK


# --------------------------------------------------------------------------- parser

def _formats_help() -> str:
    return ", ".join(f.name for f in formats())


# Where each format keeps its profile table (the registry knows codecs, not their profiles).
_PROFILE_TABLES = {"dlms": ("smartmeter_codecs.dlms.profiles", "PROFILES"),
                   "p1": ("smartmeter_codecs.p1.mapping", "PROFILES"),
                   "sml": ("smartmeter_codecs.sml.mapping", "PROFILES")}


def _profiles() -> dict[str, list[str]]:
    """Profile names by format, for 'formats' and --help."""
    import importlib
    out: dict[str, list[str]] = {}
    for fmt, (module, attr) in _PROFILE_TABLES.items():
        try:
            out[fmt] = list(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):   # a format missing from this build lists nothing
            continue
    return out


def _flagged(err: ValueError, ns: argparse.Namespace) -> str:
    """The error message led by the CLI flag it is about (users type flags, not arguments)."""
    msg = str(err)
    if msg.startswith("unknown format"):
        return f"-f/--format: {msg}"
    if msg.startswith("unknown serial preset"):
        return f"--preset: {msg}"
    if msg.startswith(("unknown time zone", "time zone offset")):
        return f"--tz: {msg}"
    if msg.startswith("unknown") and "profile" in msg:
        return f"-p/--profile: {msg}"
    if msg.startswith(("expected HOST:PORT", "TCP port")):
        return f"{'--listen/--tcp' if ns.command == 'simulate' else '--tcp'}: {msg}"
    return msg


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=PROG, description="Decode smart-meter frames into typed readings; read live meters; simulate one.",
        epilog="Exit codes: 0 ok, 1 no reading, 2 usage mistake, 3 port/connection failed, 130 Ctrl-C.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="log connections (-vv: debug)")
    sub = ap.add_subparsers(dest="command", required=True)

    def decoding(p: argparse.ArgumentParser, zone: bool = True) -> None:
        p.add_argument("-f", "--format", help=f"format name ({_formats_help()}); default: autodetect")
        p.add_argument("-p", "--profile", help="national list/profile where the frame cannot tell ("
                       + "; ".join(f"{k}: {', '.join(v)}" for k, v in _profiles().items()) + ")")
        p.add_argument("-k", "--key", help="encryption key (hex)")
        p.add_argument("-a", "--auth-key", help="authentication key (hex)")
        p.add_argument("--system-title", help="system title (hex) when the frame does not carry it")
        p.add_argument("--binary", action="store_true", help="treat files as raw bytes even if they look like a hex dump")
        if zone:
            p.add_argument("--tz", metavar="ZONE", help="zone of a meter clock sent without UTC offset, e.g. "
                           "Europe/Oslo or +01:00 (default: the profile's zone where it settles it)")

    def serial_opts(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("serial port")
        g.add_argument("--port", metavar="DEV", help="serial device, e.g. /dev/ttyUSB0 or COM3 (extra: [serial])")
        g.add_argument("--preset", metavar="NAME", help=f"line settings and format: {', '.join(PRESETS)} "
                                                         "(see 'presets')")
        g.add_argument("--baud", type=int, help="baud rate (overrides the preset; default 115200)")
        g.add_argument("--bytesize", type=int, choices=(7, 8), help="data bits")
        g.add_argument("--parity", choices=("N", "E", "O"), help="parity: none, even, odd")
        g.add_argument("--stopbits", type=int, choices=(1, 2), help="stop bits")

    def single(p: argparse.ArgumentParser) -> None:
        p.add_argument("input", help="file (binary, hex dump or JSON), '-' for stdin, or hex on the command line")
        decoding(p)

    p_dec = sub.add_parser("decode", help="decode a complete message and print every Reading")
    single(p_dec)
    p_dec.add_argument("--json", action="store_true", help="print JSON (one object per line) instead of text")
    p_ins = sub.add_parser("inspect", help="print the annotated layer tree of a message")
    single(p_ins)
    p_ins.add_argument("--json", action="store_true", help="print the tree as JSON")

    p_str = sub.add_parser("stream", help="decode a live meter or a capture, printing each Reading at once",
                           description="Decode incrementally from capture files, stdin, a serial port or "
                                       "a TCP bridge; garbage and broken frames are reported and skipped.")
    p_str.add_argument("input", nargs="*", help="capture files or '-' for stdin (default: stdin)")
    decoding(p_str)
    serial_opts(p_str)
    p_str.add_argument("--tcp", metavar="HOST:PORT", help="a TCP serial bridge (ser2net, ESP, P1 dongle)")
    p_str.add_argument("--json", action="store_true", help="one JSON object per line (errors too, with "
                                                         "error class, layer and offset)")
    p_str.add_argument("--out", metavar="FILE", help="also record the Readings to FILE.jsonl, .csv or .parquet "
                                                    "(extra: [parquet])")
    p_str.add_argument("-n", "--count", type=int, help="stop after this many Readings")
    p_str.add_argument("-q", "--quiet", action="store_true", help="do not print broken frames (text mode)")
    p_str.add_argument("--no-progress", action="store_true", help="no progress bar for capture files")
    g = p_str.add_argument_group("reconnect (--port, --tcp)")
    g.add_argument("--no-reconnect", action="store_true", help="exit when the port or connection fails")
    g.add_argument("--retry-initial", type=float, default=1.0, metavar="S", help="first back-off wait (1 s)")
    g.add_argument("--retry-max", type=float, default=60.0, metavar="S", help="longest back-off wait (60 s)")
    g.add_argument("--retries", type=int, metavar="N", help="give up after N failed attempts in a row "
                                                           "(default: never)")
    g.add_argument("--idle-timeout", type=float, metavar="S", help="reconnect after S seconds without data")

    p_sim = sub.add_parser("simulate", help="act as a meter: send fixture or generated frames at a cadence",
                           description="Send captured frames (cycled) or generated frames of any format to "
                                       "a pseudo-terminal, a serial port, TCP clients or stdout.")
    p_sim.add_argument("input", nargs="*", help="capture files or hex to send as they are (default: generate)")
    decoding(p_sim, zone=False)
    serial_opts(p_sim)
    p_sim.add_argument("--pty", nargs="?", const="", metavar="LINK",
                       help="create a pseudo-terminal (and a symlink LINK to it); readers open it as a port")
    p_sim.add_argument("--listen", metavar="HOST:PORT", help="serve the frames to every TCP client (like ser2net)")
    p_sim.add_argument("--tcp", metavar="HOST:PORT", help="push the frames to a TCP server")
    p_sim.add_argument("--interval", type=float, metavar="S",
                       help="seconds between frames (default: the preset's cadence, else 1)")
    p_sim.add_argument("--clock-step", type=float, metavar="S",
                       help="meter clock advance per generated frame (default: the interval; e.g. 10 with "
                            "--interval 0.1 replays ten seconds of meter time per 0.1 s)")
    p_sim.add_argument("-n", "--count", type=int, help="stop after this many frames (default: never)")
    p_sim.add_argument("--once", action="store_true", help="send each capture file once instead of cycling")
    p_sim.add_argument("--garbage", action="store_true", help="put line noise before every frame")
    p_sim.add_argument("--meter-id", default="12345678", help="meter id of generated frames")

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
    sub.add_parser("presets", help="list the serial presets (line settings by country and meter)")
    p_opt = sub.add_parser("dlms-optical", help="poll a DLMS meter's optical port (read-only) and print Readings")
    p_opt.add_argument("port", help="serial port of the optical head, e.g. /dev/ttyUSB0")
    p_opt.add_argument("--client", type=int, required=True,
                       help="client SAP (Spanish PRIME reading client: 2; public client: 16)")
    p_opt.add_argument("--password-env", default="DLMS_PASSWORD",
                       help="environment variable holding the LLS password (default DLMS_PASSWORD)")
    p_opt.add_argument("--no-auth", action="store_true", help="associate without a password (public client)")
    p_opt.add_argument("--server-logical", type=int, default=1, help="server logical address (default 1)")
    p_opt.add_argument("--server-physical", type=int, default=16, help="server physical address (default 16)")
    p_opt.add_argument("--address-size", choices=("1", "2", "4", "auto"), default="2",
                       help="server address bytes (default 2); auto: try 2, 4, 1 with one SNRM each (no login)")
    p_opt.add_argument("--start", choices=("direct", "iec"), default="direct",
                       help="direct: HDLC at --baud 8N1; iec: IEC 62056-21 sign-on at 300 baud, then mode E")
    p_opt.add_argument("--baud", type=int, default=9600, help="baud rate of direct HDLC (default 9600)")
    p_opt.add_argument("--plan", choices=("es-prime", "dlms-instant"), default="es-prime",
                       help="what to read (default es-prime: the instantaneous-values profile 0.0.21.0.5.255)")
    p_opt.add_argument("--no-contracted", action="store_true", help="do not read the contracted powers")
    p_opt.add_argument("--interval", type=float, default=60.0, help="seconds between polls (default 60, minimum 10)")
    p_opt.add_argument("--count", type=int, help="number of polls (default: until interrupted)")
    p_opt.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for a frame (default 3)")
    p_opt.add_argument("--json", action="store_true", help="print one JSON object per line")
    p_os = sub.add_parser("osgp", help="poll a NES/OSGP meter's MEP port (serial) and print Readings")
    p_os.add_argument("port", help="serial device or pyserial URL, e.g. /dev/ttyUSB0")
    p_os.add_argument("--key-env", default="OSGP_MEP_KEY",
                      help="environment variable holding the MEP key: 20 characters (as the grid company "
                           "hands it out) or 32/40 hex digits (default OSGP_MEP_KEY)")
    p_os.add_argument("--count", type=int, default=1, help="poll cycles (default 1; 0 = until interrupted)")
    p_os.add_argument("--interval", type=float, default=1.0, help="seconds between cycles (default 1)")
    p_os.add_argument("--baud", type=int, default=9600, help="baud rate (default 9600)")
    p_os.add_argument("--parity", choices=("N", "E"), default="N", help="parity (default N; the DG does not say)")
    p_os.add_argument("--rc4", action="store_true", help="RC4-encrypt the requests")
    p_os.add_argument("--json", action="store_true", help="print one JSON object per line")
    return ap


def _run(ns: argparse.Namespace) -> int:
    if ns.command == "smgw":
        return _smgw(ns)
    if ns.command == "dlms-optical":
        return _dlms_optical(ns)
    if ns.command == "osgp":
        return _osgp(ns)
    if ns.command == "formats":
        profiles = _profiles()
        for f in formats():
            _emit(str(f))
            if profiles.get(f.name):
                _emit(f"    profiles (-p): {', '.join(profiles[f.name])}")
        return EXIT_OK
    if ns.command == "presets":
        for p in PRESETS.values():
            _emit(f"{p.name:<16} {p.settings:<12} {p.format or '-':<9} {','.join(p.countries) or '-':<6} {p.meters}")
        return EXIT_OK
    if ns.command == "stream":
        return _cmd_stream(ns)
    if ns.command == "simulate":
        return _cmd_simulate(ns)
    data = _read_input(ns.input, ns.binary)
    keys = _keys(ns)
    if ns.command == "decode":
        readings = decode_all(data, format=ns.format, keys=keys, profile=ns.profile, tz=ns.tz)
        for r in readings:
            _print_reading(r, ns.json)
        return EXIT_OK if readings else EXIT_EMPTY
    ins = inspect(data, format=ns.format, keys=keys, profile=ns.profile, tz=ns.tz)
    if isinstance(ins.error, ValueError) and not isinstance(ins.error, DecodeError):
        raise ins.error   # an unknown profile is the user's mistake, not a property of the frame
    if ns.json:
        d = ins.to_dict()
        if isinstance(ins.error, DecodeError):
            d["error"] = json.loads(_error_json(ins.error))
        _emit(json.dumps(d, ensure_ascii=False, default=str))
    else:
        _emit(str(ins))
    return EXIT_OK if ins.error is None else EXIT_EMPTY


def _smgw(ns: argparse.Namespace) -> int:
    """Poll a gateway once (I/O in smartmeter_codecs.io.smgw_http)."""
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
    for r in readings:
        _print_reading(r, ns.json)
    return 0 if readings else 1


def _osgp(ns: argparse.Namespace) -> int:
    """Poll a MEP port (I/O in smartmeter_codecs.io.osgp_serial)."""
    from .io.osgp_serial import MepSerialReader
    from .osgp import mep_key
    try:
        key = mep_key(os.environ.get(ns.key_env, ""))
    except ValueError as err:
        raise UsageError(f"{ns.key_env}: {err}") from None
    if ns.count < 0 or ns.interval < 0:
        raise UsageError("--count and --interval must not be negative")
    n = 0
    with MepSerialReader(ns.port, key, baudrate=ns.baud, parity=ns.parity, encrypt=ns.rc4) as reader:
        while ns.count == 0 or n < ns.count:
            if n:
                time.sleep(ns.interval)
            _print_reading(reader.poll(), ns.json)     # a DecodeError ends it: one line, exit 1
            n += 1
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    ns = _parser().parse_args(argv)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(ns.verbose, 2)],
                        format=f"{PROG}: %(message)s", stream=sys.stderr)
    try:
        return _run(ns)
    except _Closed:
        return _quiet_pipe_exit()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except DecodeError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_EMPTY
    except _LinkError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_IO
    except (UsageError, MissingExtraError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as err:   # unknown format/profile/preset, malformed HOST:PORT, impossible settings
        print(f"error: {_flagged(err, ns)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:   # ports and connections (pyserial's SerialException is an OSError)
        if isinstance(err, BrokenPipeError):
            return _quiet_pipe_exit()
        print(f"error: {_os_message(err)}", file=sys.stderr)
        return EXIT_IO


def _os_message(err: OSError) -> str:
    if err.filename and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err) or type(err).__name__


def _quiet_pipe_exit() -> int:
    # Python would print "Exception ignored ... BrokenPipeError" when flushing stdout at exit:
    # point stdout at /dev/null so the exit is as quiet as `yes | head -1`.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_PIPE


def _dlms_optical(ns: argparse.Namespace) -> int:  # noqa: C901 - one linear sequence of checks
    """Poll a meter's optical port with the read-only DLMS client (I/O in
    smartmeter_codecs.io.dlms_optical). A rejected login ends polling with exit code 3."""
    import dataclasses

    from .dlms.client import AssociationRejected, ClientSettings
    from .dlms.hdlc_link import ServerAddress
    from .dlms.readout import PLANS, Readout
    from .io.dlms_optical import MIN_POLL_INTERVAL, SerialLink, find_server_address, poll
    if ns.count is not None and ns.count < 1:
        raise UsageError("--count must be at least 1")
    if ns.interval < MIN_POLL_INTERVAL and ns.count != 1:
        raise UsageError(f"--interval below {MIN_POLL_INTERVAL:g} s: the meter is not ours to load")
    password = None
    if not ns.no_auth:
        if ns.password_env not in os.environ:
            raise UsageError(f"the password variable {ns.password_env} is not set (or give --no-auth)")
        password = os.environ[ns.password_env].encode("latin-1")
    auto = ns.address_size == "auto"
    if auto and ns.start != "direct":
        raise UsageError("--address-size auto needs --start direct")
    size = 2 if auto else int(ns.address_size)
    try:
        settings = ClientSettings(client_sap=ns.client, password=password,
                                  server=ServerAddress.make(ns.server_logical,
                                                            None if size == 1 else ns.server_physical, size))
    except ValueError as err:
        raise UsageError(str(err)) from None
    readout = Readout(PLANS[ns.plan], read_contracted=not ns.no_contracted)

    def sign_on(link: SerialLink) -> None:
        link.iec_signon(timeout=max(ns.timeout, 2.0))

    got = 0
    with SerialLink(ns.port, baudrate=ns.baud) as link:
        if auto:
            found = find_server_address(link, settings, response_timeout=ns.timeout)
            if found is None:
                raise _LinkError("no answer to SNRM with a 2-, 4- or 1-byte server address: check the head, "
                                 "the baud rate and --server-logical/--server-physical")
            logging.getLogger(PROG).info("the meter answers server address %s", found)
            settings = dataclasses.replace(settings, server=found)
        try:
            for item in poll(link, settings, readout, interval=ns.interval, count=ns.count,
                             response_timeout=ns.timeout, before_session=sign_on if ns.start == "iec" else None):
                if isinstance(item, Reading):
                    got += 1
                    _print_reading(item, ns.json)
                else:
                    print(f"error: {type(item).__name__}: {item}", file=sys.stderr)
        except AssociationRejected as err:
            raise _LinkError(f"{type(err).__name__}: {err}") from None
    return EXIT_OK if got else EXIT_EMPTY
