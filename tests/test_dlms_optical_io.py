"""The optical-port transport through a real pseudo-terminal pair (os.openpty) with the
simulated meter on the other end: direct HDLC, the IEC 62056-21 sign-on with the switch to
mode E, and the CLI command. No mocks: pyserial opens the pty's slave like a USB head."""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading

import pytest

from smartmeter_codecs import cli
from smartmeter_codecs.dlms.client import AuthenticationFailed, ClientSettings
from smartmeter_codecs.dlms.meter_sim import SimulatedOpticalPort, es_prime_meter
from smartmeter_codecs.dlms.optical_signon import (build_mode_e_ack, build_request, parse_identification,
                                                   with_even_parity)
from smartmeter_codecs.errors import FramingError, IncompleteError
from smartmeter_codecs.io.dlms_optical import SerialLink, read_meter

import serial  # noqa: E402,F401  (the test extra has pyserial: a missing one fails, never skips)


class PtyMeter:
    """Serves a SimulatedOpticalPort on the master side of a pty, in a thread."""

    def __init__(self, port: SimulatedOpticalPort) -> None:
        self.port = port
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            reply = self.port.receive(data)
            if reply:
                os.write(self.master, reply)

    def __enter__(self) -> "PtyMeter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


SETTINGS = ClientSettings(client_sap=2, password=b"00000001")


def test_direct_hdlc_over_a_pty():
    meter = es_prime_meter()
    with PtyMeter(SimulatedOpticalPort(meter, signon=False)) as pty, SerialLink(pty.path) as link:
        r = read_meter(link, SETTINGS, response_timeout=1.0)
    assert r.active_power_import == 1211 and r.current_l1 == 4.09 and r.contracted_power == 4600
    assert meter.requests[0] == "AARQ" and meter.connected_client is None


def test_iec_signon_then_mode_e_over_a_pty():
    meter = es_prime_meter()
    optical = SimulatedOpticalPort(meter, signon=True)
    with PtyMeter(optical) as pty, SerialLink(pty.path, baudrate=9600) as link:
        ident = link.iec_signon(timeout=2.0)
        r = read_meter(link, SETTINGS, response_timeout=1.0)
    assert (ident.manufacturer, ident.baud, ident.mode_e, ident.ident) == ("ZIV", 9600, True, "ZIV5CTM")
    assert bytes(b & 0x7F for b in optical.acknowledged) == b"\x06252\r\n"   # ACK 2 Z 2: HDLC at 9600
    assert optical.acknowledged != b"\x06252\r\n"      # sent with its even-parity bits (7E1)
    assert r.voltage_l1 == 235


def test_lost_frames_over_a_pty_are_retransmitted():
    meter = es_prime_meter(drop_replies={2, 7})
    with PtyMeter(SimulatedOpticalPort(meter, signon=False)) as pty, SerialLink(pty.path) as link:
        r = read_meter(link, SETTINGS, response_timeout=0.2)
    assert r.power_factor == 0.52


def test_wrong_password_over_a_pty():
    meter = es_prime_meter()
    with PtyMeter(SimulatedOpticalPort(meter, signon=False)) as pty, SerialLink(pty.path) as link:
        with pytest.raises(AuthenticationFailed):
            read_meter(link, ClientSettings(client_sap=2, password=b"99999999"), response_timeout=1.0)
    assert meter.failed_logins == 1


def test_signon_codec():
    assert build_request() == b"/?!\r\n" and build_request("123") == b"/?123!\r\n"
    ident = parse_identification(b"\x00/ISK5\\2MT382-1000\r\n")
    assert (ident.manufacturer, ident.baud_char, ident.mode_e, ident.ident) == ("ISK", "5", True, "MT382-1000")
    assert parse_identification(bytes(b | 0x80 for b in b"/ABC4XYZ12\r\n")).baud == 4800   # parity bit masked
    assert build_mode_e_ack("5") == bytes.fromhex("063235320d0a")
    assert with_even_parity(b"/?!\r\n") == bytes.fromhex("af3f218d0a")     # 7E1 bits sent at 8N1
    with pytest.raises(IncompleteError):
        parse_identification(b"/ZIV5\\2ZI")
    with pytest.raises(FramingError):
        parse_identification(b"/ZIV9ZIV\r\n")
    with pytest.raises(ValueError):
        build_mode_e_ack("9")


def _cli(path: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.pop("DLMS_PASSWORD", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "smartmeter_codecs", "dlms-optical", path, *args],
                          capture_output=True, text=True, timeout=60, env=e)


def test_cli_polls_a_meter_over_a_pty():
    meter = es_prime_meter()
    with PtyMeter(SimulatedOpticalPort(meter, signon=True)) as pty:
        proc = _cli(pty.path, "--client", "2", "--start", "iec", "--count", "1", "--json", "--timeout", "1",
                    env={"DLMS_PASSWORD": "00000001"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[0])
    assert out["active_power_import"] == 1211 and out["profile"] == "es-prime"


def test_cli_wrong_password_is_one_line_and_exit_3():
    meter = es_prime_meter()
    with PtyMeter(SimulatedOpticalPort(meter, signon=False)) as pty:
        proc = _cli(pty.path, "--client", "2", "--count", "3", "--timeout", "1", env={"DLMS_PASSWORD": "wrong"})
    assert proc.returncode == 3 and "AuthenticationFailed" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert meter.failed_logins == 1           # three polls asked for, one login tried


@pytest.mark.parametrize("args,msg", [
    (["--client", "2", "--count", "1"], "DLMS_PASSWORD is not set"),
    (["--client", "2", "--count", "2", "--interval", "1", "--no-auth"], "--interval"),
    (["--client", "200", "--count", "1", "--no-auth"], "client SAP"),
    (["--client", "2", "--count", "0", "--no-auth"], "--count"),
    (["--client", "2", "--count", "1", "--no-auth", "--address-size", "auto", "--start", "iec"], "auto"),
])
def test_cli_user_mistakes(args, msg, capsys, monkeypatch):
    monkeypatch.delenv("DLMS_PASSWORD", raising=False)
    rc = cli.main(["dlms-optical", "/dev/null-does-not-exist", *args])
    err = capsys.readouterr().err
    assert rc == 2 and msg in err and err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_cli_missing_port(capsys):
    rc = cli.main(["dlms-optical", "/dev/null-does-not-exist", "--client", "2", "--no-auth", "--count", "1"])
    err = capsys.readouterr().err
    assert rc == 3 and err.startswith("error:") and "Traceback" not in err


def test_cli_finds_a_four_byte_server_address():
    from smartmeter_codecs.dlms.hdlc_link import ServerAddress
    meter = es_prime_meter(server=ServerAddress.make(1, 16, 4))
    with PtyMeter(SimulatedOpticalPort(meter, signon=False)) as pty:
        proc = _cli(pty.path, "--client", "2", "--count", "1", "--json", "--timeout", "0.5", "--address-size", "auto",
                    env={"DLMS_PASSWORD": "00000001"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["voltage_l1"] == 235
