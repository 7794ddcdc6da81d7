"""The CLI as a shell user runs it: subprocesses, real files, real ptys and real sockets
(issue 11 items 2 and 3). Every mistake is one line on stderr and an exit code, never a traceback."""
from __future__ import annotations

import json
import os
import pathlib
import pty as _pty
import select
import subprocess
import threading

import pytest

import smartmeter_codecs as smc

from live_helpers import (CLI, ENV, FIXTURES, Server, dlms_frame, free_port, mbus_frame, p1_telegram,
                          sml_dump, wait_until)

DLMS_HEX = FIXTURES / "dlms" / "kamstrup-no-list3-hdlc-em001-1.hex"


def run(*args: str, stdin: bytes | None = None, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, timeout=timeout, env=ENV, **kw)


class Result:
    """What an in-process run of main() left: exit code and the bytes on fds 1 and 2."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def inproc(capfdbinary, *args: str) -> Result:
    """main() in this process (fast); the subprocess runs above cover the real entry point."""
    from smartmeter_codecs.cli import main
    capfdbinary.readouterr()
    code = main(list(args))
    out, err = capfdbinary.readouterr()
    return Result(code, out, err)


def one_line_error(proc, code: int, *words: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.fixture()
def captures(tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    """One capture file per format, as a user would have them."""
    out = {"dlms-hex": DLMS_HEX}
    (tmp_path / "p1.txt").write_bytes(p1_telegram())          # text with CR LF, taken byte for byte
    out["p1"] = tmp_path / "p1.txt"
    (tmp_path / "mbus.bin").write_bytes(mbus_frame())
    out["mbus"] = tmp_path / "mbus.bin"
    (tmp_path / "dlms.bin").write_bytes(dlms_frame())
    out["dlms-bin"] = tmp_path / "dlms.bin"
    msg = json.loads((FIXTURES / "chain2" / "messages.json").read_text())["messages"][0]["raw"]
    (tmp_path / "chain2.json").write_text(json.dumps(msg))
    out["chain2"] = tmp_path / "chain2.json"
    (tmp_path / "sml.bin").write_bytes(sml_dump())
    out["sml"] = tmp_path / "sml.bin"
    return out


KINDS = ["dlms-hex", "dlms-bin", "p1", "mbus", "chain2", "sml"]


@pytest.mark.parametrize("kind", KINDS)
def test_decode_each_format(captures, kind, capfdbinary):
    path = captures[kind]
    expected = smc.decode_all(dlms_frame() if kind == "dlms-hex" else pathlib.Path(path).read_bytes())
    dec = inproc(capfdbinary, "decode", "--json", str(path))
    assert dec.returncode == 0, dec.stderr
    rows = [json.loads(ln) for ln in dec.stdout.decode().splitlines()]
    assert [r["meter_id"] for r in rows] == [r.meter_id for r in expected]
    assert [r["active_energy_import"] for r in rows] == [r.active_energy_import for r in expected]
    assert [r["timestamp"] for r in rows] == [r.timestamp.isoformat() if r.timestamp else None for r in expected]


def test_stream_every_format_in_one_subprocess(captures):
    """Several captures, one per format, each decoded by its own stream decoder."""
    files = [str(captures[k]) for k in KINDS]
    st = run("stream", "--json", *files)
    assert st.returncode == 0, st.stderr
    rows = [json.loads(ln) for ln in st.stdout.decode().splitlines()]
    expected = [r for k in KINDS for r in smc.decode_all(dlms_frame() if k == "dlms-hex"
                                                         else captures[k].read_bytes())]
    assert [(r["format"], r["meter_id"]) for r in rows] == [(r.format, r.meter_id) for r in expected]
    for r in rows:   # the unit of every quantity field it carries
        for k, v in r.items():
            if k.startswith(("active_power", "active_energy", "voltage", "current")) and v is not None:
                assert r["units"][k] in ("W", "Wh", "V", "A"), k
    assert rows[0]["units"]["active_energy_import"] == "Wh"


def test_p1_text_file_keeps_its_crlf_and_crc(captures, capfdbinary):
    text = inproc(capfdbinary, "decode", str(captures["p1"]))
    assert text.returncode == 0, text.stderr
    assert b"ChecksumError" not in text.stderr


def test_long_hex_argument_is_hex_not_a_file_name(capfdbinary):
    proc = inproc(capfdbinary, "decode", "--json", dlms_frame().hex())   # ~600 characters: "file name too long"
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["meter_id"] == smc.decode(dlms_frame()).meter_id


def test_user_mistakes_in_subprocesses(tmp_path):
    """The real entry point: missing file, wrong port, bad --tcp, refused connection."""
    one_line_error(run("decode", "no-such-capture.bin"), 2, "no such file", "no-such-capture.bin")
    one_line_error(run("stream", "--port", "/dev/does-not-exist", "--preset", "no-han"), 3,
                   "/dev/does-not-exist", "2400 8E1")
    one_line_error(run("stream", "--tcp", "meter-without-port"), 2, "HOST:PORT")
    one_line_error(run("stream", "--tcp", f"127.0.0.1:{free_port()}"), 3, "Connection refused")


@pytest.mark.parametrize("cmd", ["decode", "inspect", "stream"])
def test_user_mistakes_are_one_line(cmd, tmp_path, capfdbinary):
    def check(code: int, args: list[str], *words: str) -> None:
        one_line_error(inproc(capfdbinary, cmd, *args), code, *words)

    check(2, ["no-such-capture.bin"], "no such file", "no-such-capture.bin")
    check(2, [str(tmp_path)], "is a directory")
    check(2, ["-f", "nope", str(DLMS_HEX)], "-f/--format", "unknown format 'nope'")
    check(2, ["-p", "nope", str(DLMS_HEX)], "-p/--profile", "profile 'nope'")
    check(2, ["-k", "0011", str(DLMS_HEX)], "-k/--key", "16")
    check(2, ["-a", "00112233", str(DLMS_HEX)], "-a/--auth-key")


def test_stream_option_mistakes(capfdbinary):
    def check(code: int, args: list[str], *words: str) -> None:
        one_line_error(inproc(capfdbinary, "stream", *args), code, *words)

    check(2, ["--port", "/dev/does-not-exist", "--preset", "atlantis"], "--preset", "unknown serial preset")
    check(2, ["--tcp", "127.0.0.1:99999"], "--tcp", "1..65535")
    check(2, ["--tcp", "127.0.0.1:1", "--port", "/dev/x"], "not both")
    check(2, ["--tcp", "127.0.0.1:1", str(DLMS_HEX)], "not both")
    check(2, ["--preset", "dsmr5", str(DLMS_HEX)], "--preset", "--port")
    check(2, ["--out", "session.xlsx", str(DLMS_HEX)], ".jsonl, .csv or .parquet")
    check(3, ["--port", "/dev/does-not-exist", "--no-reconnect"], "/dev/does-not-exist")
    from live_helpers import Pty
    pty = Pty()
    try:
        check(2, [pty.path], "serial device", "--port")
    finally:
        pty.close()


def test_stream_profile_implies_its_format(capfdbinary):
    """-p kamstrup-se without -f: the profile's format is used (Kamstrup SE counts Wh, NO 10 Wh)."""
    se = inproc(capfdbinary, "stream", "--json", "-p", "kamstrup-se", str(DLMS_HEX))
    assert se.returncode == 0, se.stderr
    expected = smc.decode(dlms_frame(), profile="kamstrup-se")
    assert json.loads(se.stdout)["active_energy_import"] == expected.active_energy_import
    assert expected.active_energy_import != smc.decode(dlms_frame()).active_energy_import


def test_decode_errors_are_one_line_with_exit_1(capfdbinary):
    bad = bytearray(dlms_frame())
    bad[-3] ^= 0xFF                                            # FCS no longer matches
    one_line_error(inproc(capfdbinary, "decode", bad.hex()), 1, "ChecksumError")


def test_stream_json_errors_carry_class_layer_and_offset(tmp_path, capfdbinary):
    bad = bytearray(dlms_frame())
    bad[-3] ^= 0xFF
    capture = tmp_path / "capture.bin"
    capture.write_bytes(dlms_frame() + bytes(bad) + dlms_frame())
    proc = inproc(capfdbinary, "stream", "--json", "-f", "dlms", str(capture))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.decode().splitlines()]
    assert [("error" in r) for r in rows] == [False, True, False]
    err = rows[1]
    assert err["error"] == "ChecksumError" and err["layer"] and isinstance(err["offset"], int)
    text = inproc(capfdbinary, "stream", "-f", "dlms", str(capture))   # text mode: errors on stderr
    assert text.stdout.decode().count("Reading (dlms") == 2 and b"ChecksumError" in text.stderr


def test_closed_pipe_is_quiet():
    """`| head -1` on endless and finite output: no BrokenPipe traceback, exit 141 like `yes`."""
    cli = " ".join(CLI)
    for pipeline in (f"{cli} simulate -f p1 --interval 0 | {cli} stream -f p1 | head -1",
                     f"{cli} stream --json {DLMS_HEX} {DLMS_HEX} {DLMS_HEX} | head -1"):
        proc = subprocess.run(["bash", "-c", f"set -o pipefail; {pipeline}; echo rc=${{PIPESTATUS[*]}} >&2"],
                              capture_output=True, timeout=60, env=ENV)
        err = proc.stderr.decode()
        assert "Traceback" not in err and "Exception" not in err, (pipeline, err)
        codes = err.strip().splitlines()[-1].removeprefix("rc=").split()
        assert set(codes[:-1]) <= {"0", "141"}, (pipeline, codes)
        assert proc.stdout, pipeline


def test_stream_stdin_is_incremental():
    """A pipe from a live port: each Reading is printed while the pipe stays open."""
    proc = subprocess.Popen([*CLI, "stream", "--json", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)
    try:
        for _ in range(2):
            proc.stdin.write(p1_telegram())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)   # hang guard
            assert ready, "no output while stdin is still open"
            assert json.loads(proc.stdout.readline())["format"] == "p1"
    finally:
        proc.stdin.close()
        assert proc.wait(30) == 0


def test_out_records_jsonl_and_csv(tmp_path, capfdbinary):
    capture = tmp_path / "cap.bin"
    capture.write_bytes(dlms_frame() * 3)
    for name in ("s.jsonl", "s.csv"):
        proc = inproc(capfdbinary, "stream", "--out", str(tmp_path / name), str(capture))
        assert proc.returncode == 0, proc.stderr
    rows = [json.loads(ln) for ln in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and rows[0]["units"]["active_power_import"] == "W"
    import csv
    with open(tmp_path / "s.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 3
    assert float(table[0]["active_power_import"]) == smc.decode(dlms_frame()).active_power_import
    assert json.loads(table[0]["registers"])[0]["key"]


def test_out_parquet_without_pyarrow_is_one_clear_line(tmp_path, capfdbinary, monkeypatch):
    """Deterministic whatever is installed: pyarrow is made unimportable (None in sys.modules)."""
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    target = tmp_path / "s.parquet"
    proc = inproc(capfdbinary, "stream", "--out", str(target), str(DLMS_HEX))
    one_line_error(proc, 2, "pyarrow", "smartmeter-codecs[parquet]")
    assert not target.exists() and proc.stdout == b""


def test_serial_without_the_extra_is_one_clear_line(capfdbinary, monkeypatch):
    """Deterministic whatever is installed: pyserial is made unimportable."""
    import sys
    monkeypatch.setitem(sys.modules, "serial", None)
    proc = inproc(capfdbinary, "stream", "--port", "/dev/ttyUSB0", "--preset", "dsmr5")
    one_line_error(proc, 2, "pyserial", "smartmeter-codecs[serial]")
    from smartmeter_codecs import io as smio
    with pytest.raises(smio.MissingExtraError, match="pyserial-asyncio-fast"):
        monkeypatch.setitem(sys.modules, "serial_asyncio_fast", None)
        smio.aread_serial("/dev/ttyUSB0")


def test_progress_bar_only_on_a_terminal(tmp_path, capfdbinary):
    capture = tmp_path / "cap.bin"
    capture.write_bytes(dlms_frame() * 50)
    piped = inproc(capfdbinary, "stream", "-q", str(capture))
    assert piped.returncode == 0 and piped.stderr == b""      # stderr not a terminal: no bar
    master, slave = _pty.openpty()                   # stderr is a terminal
    try:
        proc = subprocess.run([*CLI, "stream", "-q", str(capture)], stdout=subprocess.PIPE, stderr=slave,
                              timeout=60, env=ENV)
        os.close(slave)
        chunks = []
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunks.append(os.read(master, 65536))
            except OSError:
                break
    finally:
        os.close(master)
    bar = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "cap.bin: [" in bar and "100%" in bar and "50 readings" in bar, bar
    assert bar.endswith("\n") and proc.stdout.count(b"Reading (dlms") == 50


def test_inspect_json(capfdbinary):
    proc = inproc(capfdbinary, "inspect", "--json", str(DLMS_HEX))
    assert proc.returncode == 0, proc.stderr
    tree = json.loads(proc.stdout)
    assert tree["format"] == "dlms" and tree["tree"]["children"] and tree["error"] is None


def test_presets_and_formats_listed(capfdbinary):
    presets = inproc(capfdbinary, "presets").stdout.decode()
    for name, settings in (("no-han", "2400 8E1"), ("dsmr5", "115200 8N1"), ("dsmr22", "9600 7E1"),
                           ("sml", "9600 8N1"), ("mbus", "2400 8E1"), ("lu-p1", "115200 8N1")):
        assert any(ln.split()[:2] == [name, settings.split()[0]] and settings.split()[1] in ln
                   for ln in presets.splitlines()), name
    listed = inproc(capfdbinary, "formats").stdout.decode()
    assert "p1" in listed and "profiles (-p): generic" in listed and "kamstrup-se" in listed
    import contextlib
    import io
    from smartmeter_codecs.cli import main
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), pytest.raises(SystemExit):
        main(["decode", "--help"])
    flat = " ".join(help_text.getvalue().split())        # argparse wraps the help text
    assert "dlms: generic, aidon" in flat and "p1: nl, be" in flat


# --------------------------------------------------------------------------- end to end

def _consecutive(rows: list[dict], step: float) -> bool:
    import datetime as dt
    stamps = [dt.datetime.fromisoformat(r["timestamp"]) for r in rows]
    return all((b - a).total_seconds() == step for a, b in zip(stamps, stamps[1:], strict=False))


def test_simulate_to_pty_to_stream_port(tmp_path):
    link = tmp_path / "meter"
    sim = subprocess.Popen([*CLI, "simulate", "-f", "dlms", "--pty", str(link), "--interval", "0.05",
                            "--garbage"], stderr=subprocess.PIPE, env=ENV)
    try:
        wait_until(link.exists)
        proc = run("stream", "--port", str(link), "--preset", "no-han", "--json", "-q", "--count", "5",
                   timeout=60)
    finally:
        sim.terminate()
        sim.wait(30)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.decode().splitlines()]
    readings = [r for r in rows if "error" not in r]
    assert len(readings) == 5 and _consecutive(readings, 0.05), rows   # nothing lost after garbage


def test_simulate_listen_to_stream_tcp():
    port = free_port()
    sim = subprocess.Popen([*CLI, "simulate", "-f", "p1", "--listen", f"127.0.0.1:{port}", "--interval", "0.05",
                            "--clock-step", "10", "--garbage"], stderr=subprocess.PIPE, env=ENV)
    try:
        assert b"listening" in sim.stderr.readline()
        proc = run("stream", "--tcp", f"127.0.0.1:{port}", "--json", "-q", "--count", "5")
    finally:
        sim.terminate()
        sim.wait(30)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.decode().splitlines() if "error" not in ln]
    assert len(rows) == 5 and _consecutive(rows, 10)          # P1 clocks tick in whole seconds


def test_stream_tcp_survives_a_dropped_connection():
    server = Server()
    frames = [p1_telegram()] * 5

    def bridge() -> None:
        conn = server.accept()
        conn.sendall(frames[0] + frames[1] + frames[2][:50])   # then the link drops mid-telegram
        conn.close()
        conn = server.accept()                                 # the CLI reconnected
        conn.sendall(b"\xff\x00noise" + frames[2] + frames[3] + frames[4])
        conn.close()

    t = threading.Thread(target=bridge, daemon=True)
    t.start()
    proc = run("stream", "--tcp", f"127.0.0.1:{server.port}", "--json", "-q", "--count", "5",
               "--retry-initial", "0.02", "--retry-max", "0.1")
    t.join(30)
    server.close()
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.decode().splitlines() if "error" not in ln]
    assert len(rows) == 5 and {r["format"] for r in rows} == {"p1"}


def test_simulate_fixture_and_encrypted_frames(capfdbinary):
    proc = inproc(capfdbinary, "simulate", str(DLMS_HEX), "--count", "3", "--interval", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == dlms_frame() * 3                     # fixture frames go out as they are
    keys = ["-k", "000102030405060708090a0b0c0d0e0f", "-a", "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"]
    enc = inproc(capfdbinary, "simulate", "-f", "dlms", *keys, "--count", "2", "--interval", "0")
    assert enc.returncode == 0, enc.stderr
    readings = smc.decode_all(enc.stdout, keys=smc.Keys(keys[1], keys[3]))
    assert [r.authenticated for r in readings] == [True, True]
    assert readings[0].timestamp != readings[1].timestamp
    assert all(isinstance(i, smc.DecodeError) for i in smc.StreamDecoder(format="dlms").feed(enc.stdout))
    one_line_error(inproc(capfdbinary, "simulate"), 2, "-f/--format")
    one_line_error(inproc(capfdbinary, "simulate", "-f", "nope"), 2, "unknown format")
    one_line_error(inproc(capfdbinary, "simulate", "-f", "p1", "--pty", "--listen", "127.0.0.1:1"), 2, "one of")
    one_line_error(inproc(capfdbinary, "simulate", "-f", "mbus", "--meter-id", "123456789", "-n", "1"), 2, "meter_id")


def test_simulate_to_a_serial_port_and_to_a_tcp_server(capfdbinary):
    """simulate --port opens a real port with pyserial (a pty's slave); --tcp pushes to a server."""
    from live_helpers import Pty
    pty = Pty()
    try:
        proc = inproc(capfdbinary, "simulate", str(DLMS_HEX), "--port", pty.path, "--preset", "no-han-kamstrup",
                      "--count", "2", "--interval", "0")
        assert proc.returncode == 0, proc.stderr
        got = b""
        while len(got) < 2 * len(dlms_frame()) and select.select([pty.master], [], [], 10)[0]:
            got += os.read(pty.master, 65536)
        assert got == dlms_frame() * 2
    finally:
        pty.close()
    server = Server()
    received: list[bytes] = []

    def collect() -> None:
        conn = server.accept()
        while chunk := conn.recv(65536):
            received.append(chunk)
        conn.close()

    t = threading.Thread(target=collect, daemon=True)
    t.start()
    proc = inproc(capfdbinary, "simulate", "-f", "mbus", "--tcp", f"127.0.0.1:{server.port}", "--count", "3",
                  "--interval", "0")
    t.join(30)
    server.close()
    assert proc.returncode == 0, proc.stderr
    readings = smc.decode_all(b"".join(received), format="mbus")
    assert len(readings) == 3 and {r.meter_id for r in readings} == {"12345678"}
    one_line_error(inproc(capfdbinary, "simulate", "-f", "p1", "--tcp", f"127.0.0.1:{free_port()}"), 3,
                   "Connection refused")


@pytest.mark.parametrize("fmt", ["dlms", "mbus", "wmbus", "p1", "sml", "chain2"])
def test_simulate_generates_every_format(fmt, capfdbinary):
    """Generated frames of each format decode back to the simulator's readings, in order."""
    from smartmeter_codecs.io.simulator import generated_readings
    proc = inproc(capfdbinary, "simulate", "-f", fmt, "-n", "3", "--interval", "0", "--clock-step", "60")
    assert proc.returncode == 0, proc.stderr
    if fmt == "wmbus":                                # radio telegrams: not one byte stream
        readings = smc.decode_all(proc.stdout, format=fmt)
    else:
        readings = list(smc.StreamDecoder(format=fmt).feed(proc.stdout))
    import datetime as dt
    expected = [r for r, _ in zip(generated_readings(step=dt.timedelta(seconds=60)), range(3), strict=False)]
    assert [r.active_energy_import for r in readings] == [r.active_energy_import for r in expected]
    assert [r.active_power_import for r in readings] == [r.active_power_import for r in expected]


def test_stream_of_a_document_says_to_use_decode(capfdbinary):
    csv = FIXTURES / "samples" / "es-cnmc-hourly.csv"
    one_line_error(inproc(capfdbinary, "stream", str(csv)), 1, "no meter reading", "smartmeter-codecs decode")
    one_line_error(inproc(capfdbinary, "stream", "-f", "es-csv", str(csv)), 2, "document format",
                   "smartmeter-codecs decode")
